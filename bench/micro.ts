import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../functions/adapters/local/local-key-signer.ts';
import { epochSeconds, systemClock } from '../functions/oauth/clock.ts';
import { verifyDpopProof } from '../functions/oauth/dpop/proof.ts';
import { median, round } from './load.ts';

/** CPU of single operations, µs per call, by algorithm. */
export interface Micro {
  /** `LocalKeySigner.signJwt` of a typical access token (on libuv's thread pool; its CPU counts all the same). */
  readonly signUs: Record<string, number>;
  /** `verifyDpopProof`: header, embedded key, signature, claims, thumbprint. */
  readonly dpopVerifyUs: Record<string, number>;
}

const HTU = 'https://auth.example.com/token';

/** Median over 5 parts of `calls` sequential calls of this process's CPU per call: a GC or a neighbour in one part does not move it. */
async function cpuPerCall(calls: number, call: () => Promise<unknown>): Promise<number> {
  for (let index = 0; index < Math.min(200, calls); index += 1) await call();
  const part = Math.max(1, Math.floor(calls / 5));
  const perCall: number[] = [];
  for (let index = 0; index < 5; index += 1) {
    const before = process.cpuUsage();
    for (let call_ = 0; call_ < part; call_ += 1) await call();
    const used = process.cpuUsage(before);
    perCall.push((used.user + used.system) / part);
  }
  return round(median(perCall), 0);
}

export async function measureMicro(calls: number): Promise<Micro> {
  const signUs: Record<string, number> = {};
  const dpopVerifyUs: Record<string, number> = {};
  const dir = await mkdtemp(join(tmpdir(), 'lifespan-bench-keys-'));
  try {
    for (const alg of ['RS256', 'ES256'] as const) {
      const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(dir, `${alg}.json`), alg));
      const now = epochSeconds(systemClock);
      const claims = { iss: 'https://auth.example.com', sub: 'bench-user', aud: 'orders-api', exp: now + 900, iat: now, jti: randomUUID(), client_id: 'bench-app', scope: 'openid offline_access orders:read' };
      signUs[alg] = await cpuPerCall(calls, () => signer.signJwt(claims, 'at+jwt'));

      const { privateKey, publicKey } = await generateKeyPair(alg);
      const jwk = await exportJWK(publicKey);
      const proofs = await Promise.all(
        Array.from({ length: calls + 200 }, () => new SignJWT({ htm: 'POST', htu: HTU, iat: now, jti: randomUUID() }).setProtectedHeader({ alg, typ: 'dpop+jwt', jwk }).sign(privateKey)),
      );
      dpopVerifyUs[alg] = await cpuPerCall(calls, () => verifyDpopProof(proofs.pop()!, { method: 'POST', url: HTU, now, skew: 30 }));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { signUs, dpopVerifyUs };
}
