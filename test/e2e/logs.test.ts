import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFor, exchangeCode, expectTokens, newClient, refresh, tokenRequest } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { output } from '../support/output.ts';

describe('logs and metrics', () => {
  let service: TestServer;
  beforeAll(async () => {
    service = await startTestServer();
  });
  afterAll(async () => {
    await service.server.close();
  });

  it('are JSON lines that never contain a secret, a code or a token, while reuse and failures are logged and counted', async () => {
    const before = output.length;
    const client = await newClient(service);
    const { code, request } = await codeFor(service, client, { scope: 'openid offline_access' });
    const tokens = await expectTokens(await exchangeCode(service, client, code, request.verifier));
    const next = await expectTokens(await refresh(service, client, tokens.refresh_token!));
    await refresh(service, client, tokens.refresh_token!); // reuse: revokes the family
    await tokenRequest(service, { grant_type: 'client_credentials' }, { client_id: client.client_id, client_secret: 'wrong-secret-value' });
    const lines = output.slice(before);

    const secrets = [client.client_secret!, code, request.verifier, tokens.access_token, tokens.refresh_token!, tokens.id_token!, next.refresh_token!];
    const text = lines.join('\n');
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(4, 40));
    }
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // Every line, log or metric, names the request it belongs to.
    for (const record of records) expect(record['request_id'], JSON.stringify(record)).toEqual(expect.any(String));
    expect(records.some((record) => record['event'] === 'refresh_token_reuse_detected')).toBe(true);
    const metricNames = records.flatMap((record) =>
      ((record['_aws'] as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined)?.CloudWatchMetrics ?? []).flatMap(
        (entry) => entry.Metrics.map((metric) => metric.Name),
      ),
    );
    expect(metricNames).toEqual(expect.arrayContaining(['TokensIssued', 'RefreshRotated', 'RefreshReuseDetected', 'FamilyRevoked', 'InvalidClient']));
  });
});
