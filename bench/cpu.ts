import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { verifyDpopProof } from '../functions/oauth/dpop/proof.ts';
import { join } from 'node:path';
import { HmacDpopNonces } from '../functions/oauth/dpop/nonce.ts';
import { HmacSuccessorDeriver } from '../functions/adapters/local/local-successor-deriver.ts';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../functions/adapters/local/local-key-signer.ts';
import { tokenRoutes } from '../functions/handlers/token-routes.ts';
import { lambdaHandler } from '../functions/http/handler.ts';
import { LifetimeConfigStore } from '../functions/lifetimes/config.ts';
import type { Client } from '../functions/oauth/clients/client.ts';
import { epochSeconds, systemClock } from '../functions/oauth/clock.ts';
import type { GrantDependencies } from '../functions/oauth/grants/grant.ts';
import { s256 } from '../functions/oauth/pkce.ts';
import { hashSecret } from '../functions/oauth/secrets.ts';
import type { Signer, SigningAlgorithm } from '../functions/oauth/signer.ts';
import { memoryLogger } from '../functions/observability/logger.ts';
import { emfMetrics } from '../functions/observability/metrics.ts';
import { BENCH_PARAMETERS } from './environment.ts';
import { REDIRECT_URI, SUBJECT, type BenchClient, type BenchCode, type BenchFamily } from './fixtures.ts';
import { basic, expectTokens } from './http.ts';
import { MemoryCodes, MemoryFamilies, MemoryProofReplays, memoryClients, unused } from './memory-stores.ts';
import { clientCredentialsOp, codeExchangeOp, refreshOp, type Op } from './scenarios.ts';
import { median, round } from './stats.ts';
import { handlerTransport } from './transport.ts';

/** CPU of one request of a grant, signing included, DynamoDB excluded. */
export interface CpuRow {
  readonly grant: string;
  readonly algorithm: SigningAlgorithm;
  /** JWTs signed per response (access token, plus an ID token for `openid`). */
  readonly jwts: number;
  /** Process CPU (user + system) per request, microseconds. */
  readonly cpuUsPerRequest: number;
  /** Of which signing: `jwts` × the CPU of one signature. */
  readonly signUsPerRequest: number;
}

export interface CpuResult {
  readonly rows: CpuRow[];
  /** CPU of one JWT signature (`LocalKeySigner.signJwt`, a typical access token), microseconds. */
  readonly signUs: Record<SigningAlgorithm, number>;
  /** CPU of checking one DPoP proof (`verifyDpopProof`: header, embedded key, signature, claims, thumbprint), by proof algorithm, microseconds. */
  readonly dpopVerifyUs: Record<string, number>;
}

/** The token endpoint's URL in the bench's issuer, for the proofs' `htu`. */
const BENCH_TOKEN_URL = 'https://auth.example.com/token';

/** `count` DPoP proofs for POST /token with one key, made before a measurement so their signing is the client's, not counted. */
async function proofsFor(count: number, alg: 'ES256' | 'RS256'): Promise<string[]> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = await exportJWK(publicKey);
  const iat = epochSeconds(systemClock);
  return Promise.all(
    Array.from({ length: count }, () =>
      new SignJWT({ htm: 'POST', htu: BENCH_TOKEN_URL, iat, jti: randomUUID() }).setProtectedHeader({ alg, typ: 'dpop+jwt', jwk }).sign(privateKey),
    ),
  );
}

/** Refresh-token families the CPU batch rotates in turn. */
const CPU_FAMILIES = 64;

/** Median over 5 slices of the batch: one slice hit by a GC or a neighbour does not move it. */
async function cpuPerCall(warmup: number, batch: number, call: () => Promise<void>): Promise<number> {
  for (let index = 0; index < warmup; index += 1) await call();
  const slice = Math.max(1, Math.floor(batch / 5));
  const perCall: number[] = [];
  for (let part = 0; part < 5; part += 1) {
    const before = process.cpuUsage();
    for (let index = 0; index < slice; index += 1) await call();
    const used = process.cpuUsage(before);
    perCall.push((used.user + used.system) / slice);
  }
  return median(perCall);
}

function clientRecord(client: BenchClient, overrides: Partial<Client>): Client {
  return {
    clientId: client.clientId,
    clientName: 'bench',
    type: 'confidential',
    tokenEndpointAuthMethod: 'client_secret_basic',
    secretHash: hashSecret(client.secret),
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'offline_access', 'orders:read'],
    audiences: ['orders-api'],
    requirePkce: true,
    createdAt: epochSeconds(systemClock),
    ...overrides,
  };
}

const benchClient = (clientId: string): BenchClient => {
  const secret = randomBytes(32).toString('base64url');
  return { clientId, secret, authorization: basic(clientId, secret) };
};

/**
 * The token function's real Lambda entry (`tokenRoutes` behind `lambdaHandler`, as
 * functions/handlers/token.ts wires it) over in-memory stores and a local key, called one
 * request at a time; `process.cpuUsage()` around a batch gives the CPU per request: form
 * parsing, client authentication, lifetimes, hashing, the successor HMAC, claims, signing and
 * the EMF metric lines (serialized, not written). Not included: the AWS SDK and DynamoDB
 * (see the load runs' CPU per request), and in AWS the KMS Sign call that replaces local signing.
 */
export async function measureCpu(dir: string, batch: number): Promise<CpuResult> {
  const rows: CpuRow[] = [];
  const signUs = {} as Record<SigningAlgorithm, number>;
  const dpopVerifyUs: Record<string, number> = {};
  const warmup = Math.min(200, batch);
  const perMeasure = warmup + 5 * Math.max(1, Math.floor(batch / 5));
  for (const alg of ['ES256', 'RS256'] as const) {
    const proofs = await proofsFor(perMeasure, alg);
    const now = epochSeconds(systemClock);
    dpopVerifyUs[alg] = round(await cpuPerCall(warmup, batch, async () => void (await verifyDpopProof(proofs.pop()!, { method: 'POST', url: BENCH_TOKEN_URL, now, skew: 30 }))), 0);
  }
  for (const algorithm of ['RS256', 'ES256'] as const) {
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(dir, `cpu-${algorithm}.json`), algorithm));
    const now = epochSeconds(systemClock);
    const claims = {
      iss: 'https://auth.example.com',
      sub: SUBJECT,
      aud: 'orders-api',
      exp: now + 900,
      iat: now,
      jti: 'b5f0c1d2-0000-4000-8000-000000000000',
      client_id: 'bench-client',
      scope: 'openid profile offline_access orders:read',
      auth_time: now,
      sid: 'bench-session',
      fid: 'bench-family',
    };
    signUs[algorithm] = round(await cpuPerCall(warmup, batch, async () => void (await signer.signJwt(claims, 'at+jwt'))), 0);

    const app = benchClient('bench-app');
    const api = benchClient('bench-api');
    const metrics = emfMetrics('bench', () => undefined);
    const logger = memoryLogger();
    const families = new MemoryFamilies();
    const codes = new MemoryCodes(families);
    // Counts the signatures each grant really makes, for the share of signing in its CPU.
    let signatures = 0;
    const counted: Signer = {
      signJwt: (payload, typ) => {
        signatures += 1;
        return signer.signJwt(payload, typ);
      },
      algorithm: () => signer.algorithm(),
      jwks: () => signer.jwks(),
    };
    const deps: GrantDependencies = {
      issuer: 'https://auth.example.com',
      signer: counted,
      clock: systemClock,
      lifetimes: new LifetimeConfigStore({
        source: { load: async () => new Map(Object.entries(BENCH_PARAMETERS).map(([name, value]) => [name, String(value)])) },
        clock: systemClock,
        logger,
        metrics,
      }),
      metrics,
      logger,
      families,
      codes,
      devices: unused('devices'),
      accessTokens: unused('accessTokens'),
      markers: { times: async () => ({ tokens: 0, sessions: 0 }), validAfter: async () => 0, sessionsValidAfter: async () => 0, write: async () => undefined },
      successors: new HmacSuccessorDeriver(randomBytes(32)),
      rates: unused('rates'),
      proofReplays: new MemoryProofReplays(),
    };
    const nonces = new HmacDpopNonces(randomBytes(32));
    const clients = memoryClients([clientRecord(app, {}), clientRecord(api, { grantTypes: ['client_credentials'], scopes: ['orders:read'], redirectUris: [] })]);
    const transport = handlerTransport(lambdaHandler(tokenRoutes({ clients: () => clients, grants: () => deps, metrics: () => metrics, nonces: () => nonces }), { logger }));

    const newCodes = async (count: number): Promise<BenchCode[]> => {
      const made: BenchCode[] = [];
      for (let index = 0; index < count; index += 1) {
        const code = { code: randomBytes(32).toString('base64url'), verifier: randomBytes(32).toString('base64url') };
        const at = epochSeconds(systemClock);
        await codes.create(hashSecret(code.code), {
          clientId: app.clientId,
          redirectUri: REDIRECT_URI,
          codeChallenge: s256(code.verifier),
          subject: SUBJECT,
          scope: ['openid', 'profile', 'offline_access', 'orders:read'],
          audience: 'orders-api',
          authTime: at,
          sid: randomBytes(16).toString('base64url'),
          amr: ['pwd'],
          nonce: randomBytes(8).toString('base64url'),
          createdAt: at,
          expiresAt: at + 600,
        });
        made.push(code);
      }
      return made;
    };

    const measure = async (grant: string, op: Op) => {
      let calls = 0;
      signatures = 0;
      const cpu = await cpuPerCall(warmup, batch, () => {
        calls += 1;
        return op(0);
      });
      const jwts = round(signatures / calls, 2);
      rows.push({ grant, algorithm, jwts, cpuUsPerRequest: round(cpu, 0), signUsPerRequest: round(jwts * signUs[algorithm], 0) });
    };
    await measure('authorization_code', codeExchangeOp(transport, app, await newCodes(warmup + 5 * Math.max(1, Math.floor(batch / 5)))));
    // Enough families that none reaches the refresh rate limit (checked on the read, as in the service).
    const chain: BenchFamily[] = [];
    for (const family of await newCodes(CPU_FAMILIES)) {
      const first = expectTokens('code exchange', await transport.post('/token', { grant_type: 'authorization_code', code: family.code, redirect_uri: REDIRECT_URI, code_verifier: family.verifier }, { authorization: app.authorization }), ['refresh_token']);
      chain.push({ token: first['refresh_token']! });
    }
    await measure('refresh_token', refreshOp(transport, app, chain, 1));
    await measure('client_credentials', clientCredentialsOp(transport, api));

    // The same with an ES256 DPoP proof per request: the proof check, the binding, cnf in the token.
    const proofs = await proofsFor(2 * perMeasure + CPU_FAMILIES, 'ES256');
    const dpop = () => ({ dpop: proofs.pop()! });
    const bound: BenchFamily[] = [];
    for (const family of await newCodes(CPU_FAMILIES)) {
      const form = { grant_type: 'authorization_code', code: family.code, redirect_uri: REDIRECT_URI, code_verifier: family.verifier };
      bound.push({ token: expectTokens('code exchange', await transport.post('/token', form, { authorization: app.authorization, ...dpop() }), ['refresh_token'])['refresh_token']! });
    }
    await measure('refresh_token + DPoP', refreshOp(transport, app, bound, 1, dpop));
    await measure('client_credentials + DPoP', clientCredentialsOp(transport, api, dpop));
  }
  return { rows, signUs, dpopVerifyUs };
}
