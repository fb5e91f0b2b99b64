import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { codeFor, exchangeCode, expectTokens, newClient, refresh, tokenRequest } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

describe('logs and metrics', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('are JSON lines that never contain a secret, a code or a token, while reuse and failures are logged and counted', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return write(chunk, ...(rest as []));
    });
    const client = await newClient(service);
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access' });
    const tokens = await expectTokens(await exchangeCode(service, client, code, request.verifier));
    const next = await expectTokens(await refresh(service, client, tokens.refresh_token!));
    await refresh(service, client, tokens.refresh_token!); // reuse: revokes the family
    await tokenRequest(service, { grant_type: 'client_credentials' }, { client_id: client.client_id, client_secret: 'wrong-secret-value' });
    spy.mockRestore();

    const secrets = [client.client_secret!, code, request.verifier, tokens.access_token, tokens.refresh_token!, tokens.id_token!, next.refresh_token!];
    const output = lines.join('');
    for (const secret of secrets) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(secret.slice(4, 40));
    }
    const records = output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.some((record) => record['event'] === 'refresh_token_reuse_detected')).toBe(true);
    const metricNames = records.flatMap((record) =>
      ((record['_aws'] as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined)?.CloudWatchMetrics ?? []).flatMap(
        (entry) => entry.Metrics.map((metric) => metric.Name),
      ),
    );
    expect(metricNames).toEqual(expect.arrayContaining(['TokensIssued', 'RefreshRotated', 'RefreshReuseDetected', 'FamilyRevoked', 'InvalidClient']));
  });
});
