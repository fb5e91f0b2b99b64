import type { BenchClient } from './fixtures.ts';
import { RequestFailed } from './http.ts';
import { runLoad } from './load.ts';
import { refreshOp } from './scenarios.ts';
import type { Transport } from './transport.ts';

/**
 * The harness must never count a failed request as served: a run whose requests are refused
 * has to stop with the refusal. Checked on every run, before anything is measured, through the
 * same load runner and HTTP transport as the measurements, with a refresh token the service
 * can only refuse (400 invalid_grant).
 */
export async function checkFailuresAreLoud(transport: Transport, app: BenchClient): Promise<string> {
  const forged = [{ token: `lsr_${Buffer.alloc(56, 7).toString('base64url')}` }];
  try {
    await runLoad({ concurrency: 1, warmupMs: 0, durationMs: 2000, op: refreshOp(transport, app, forged, 1) });
  } catch (error) {
    if (error instanceof RequestFailed && error.status === 400 && error.body.includes('invalid_grant')) {
      return `a ${error.status} ${(JSON.parse(error.body) as { error: string }).error} stops the run (nothing counted)`;
    }
    throw new Error('self-check: a refused request failed the run, but not with the expected 400 invalid_grant', { cause: error });
  }
  throw new Error('self-check failed: the load harness counted refused requests as served');
}
