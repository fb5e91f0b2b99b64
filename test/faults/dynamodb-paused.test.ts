import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local.ts';
import { LOCAL_DYNAMODB_BUDGET, worstCaseMs } from '../../functions/runtime/aws-clients.ts';
import { expectTokens, loginTokens, newClient, refresh, sleep, type TestClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

const CLIENTS = 8;
/** Each client refreshes about twice a second: under the refresh rate limit (20 in 60 s) for the test's 9 s. */
const PACE_MS = 600;
const PAUSE_MS = 5_000;
/** Longer than any answer may take: one serial chain of DynamoDB calls, each at its worst, and margin. */
const ANSWER_WITHIN_MS = 4 * worstCaseMs(LOCAL_DYNAMODB_BUDGET) + 2_000;

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: string | null;
}

/**
 * DynamoDB stops answering for 5 s (the process is paused, so connections hang rather than
 * fail) while clients keep refreshing, then resumes. A DynamoDB Local of its own, so pausing it
 * pauses no other test file.
 */
describe('DynamoDB paused under refresh load, then resumed', () => {
  let dynamo: DynamoDbLocal;
  let service: TestServer;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    // A write that timed out may still commit once DynamoDB resumes: an ambiguous outcome, which
    // the reuse interval exists for (README, "When AWS misbehaves").
    service = await startTestServer({ dynamoDbEndpoint: dynamo.endpoint, parameters: { refresh_token_reuse_interval: 60, refresh_rate_limit: 20 } });
  }, 120_000);
  afterAll(async () => {
    dynamo?.process.kill('SIGCONT');
    await service?.server.close();
    await dynamo?.stop();
  });

  it('answers every request within the timeout (200, or 503 with Retry-After), and every client continues with its last token', async () => {
    const client: TestClient = await newClient(service);
    const latest: string[] = [];
    for (let index = 0; index < CLIENTS; index += 1) latest.push((await loginTokens(service, client)).tokens.refresh_token!);

    const answers: Answer[] = [];
    let stop = false;
    const loop = async (index: number) => {
      while (!stop) {
        const started = Date.now();
        const response = await refresh(service, client, latest[index]!, {}).catch((error: unknown) => {
          throw new Error(`request failed without an answer after ${Date.now() - started} ms`, { cause: error });
        });
        const body = (await response.json()) as Record<string, unknown>;
        answers.push({ status: response.status, ms: Date.now() - started, body, retryAfter: response.headers.get('retry-after') });
        if (response.status === 200) latest[index] = body['refresh_token'] as string;
        await sleep(PACE_MS);
      }
    };
    const loops = latest.map((_, index) => loop(index));
    await sleep(1_000);
    dynamo.process.kill('SIGSTOP');
    await sleep(PAUSE_MS);
    dynamo.process.kill('SIGCONT');
    await sleep(3_000);
    stop = true;
    await Promise.all(loops);

    const unavailable = answers.filter((answer) => answer.status === 503);
    expect(unavailable.length, 'the pause was seen').toBeGreaterThan(0);
    for (const answer of answers) {
      expect(answer.ms, JSON.stringify(answer)).toBeLessThan(ANSWER_WITHIN_MS);
      expect([200, 503], JSON.stringify(answer)).toContain(answer.status);
    }
    for (const answer of unavailable) {
      expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Nobody was logged out: each client's last token still refreshes.
    for (const token of latest) await expectTokens(await refresh(service, client, token));
  }, 60_000);
});
