import { createPrivateKey, generateKeyPair, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { JSONWebKeySet, JWK, JWTPayload } from 'jose';
import {
  isSigningAlgorithm,
  publicJwkFromKeyObject,
  signCompactJws,
  SigningError,
  type PublicSigningJwk,
} from '../../oauth/jws.ts';
import { SIGNING_ALGORITHMS, type Signer, type SigningAlgorithm } from '../../oauth/signer.ts';

/**
 * Contents of a local key file: private JWKs, each with `alg` (and optionally `kid`, which must
 * then be its RFC 7638 thumbprint). The first key signs; the others are published for rotation.
 */
export interface LocalKeyFile {
  readonly keys: readonly JWK[];
}

interface LocalKey {
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
  readonly jwk: Promise<PublicSigningJwk>;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Reads the local key file at `path`, or creates it (parent directories included, mode 0600)
 * with one new `alg` key when it does not exist yet, so restarts keep the key and earlier tokens
 * still verify.
 *
 * @throws TypeError when `alg` is not RS256/ES256.
 * @throws SigningError when the file is not a valid key file or its active key is not `alg`.
 *
 * @example
 * ```ts
 * const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile('.lifespan/keys.json', 'RS256'));
 * ```
 */
export async function loadOrCreateLocalKeyFile(path: string, alg: SigningAlgorithm): Promise<LocalKeyFile> {
  if (typeof path !== 'string' || path === '') throw new TypeError('key file path must be a non-empty string');
  if (!isSigningAlgorithm(alg)) throw new TypeError(`alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  const text = (await readIfExists(path)) ?? (await createKeyFile(path, alg));
  const keyFile = await parseKeyFile(text, path);
  const active = keyFile.keys[0]?.alg;
  if (active !== alg) {
    invalid(path, `its active key is ${String(active)} but ${alg} is configured; change the setting or move the key file away`);
  }
  return keyFile;
}

/**
 * {@link Signer} for local mode, signing with private keys from a {@link LocalKeyFile}.
 *
 * @example
 * ```ts
 * const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(path, 'ES256'));
 * const idToken = await signer.signJwt(claims, 'JWT');
 * ```
 */
export class LocalKeySigner implements Signer {
  readonly #keys: readonly [LocalKey, ...LocalKey[]];

  /**
   * @throws TypeError when `keyFile` has no keys.
   * @throws SigningError when a key is not a private RS256/ES256 JWK.
   */
  constructor(keyFile: LocalKeyFile) {
    const [active, ...published] = (keyFile?.keys ?? []).map((jwk, index) => toLocalKey(jwk, `keys[${index}]`));
    if (active === undefined) throw new TypeError('LocalKeySigner: the key file must hold at least one key');
    this.#keys = [active, ...published];
  }

  async signJwt(payload: JWTPayload, typ: string): Promise<string> {
    const [{ alg, privateKey, jwk }] = this.#keys;
    const { kid } = await jwk;
    return signCompactJws({ alg, kid, typ }, payload, (signingInput) =>
      // JWS ES256 wants r‖s (IEEE P1363), not the DER node:crypto defaults to.
      signOffLoop(signingInput, alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey),
    );
  }

  async algorithm(): Promise<SigningAlgorithm> {
    return this.#keys[0].alg;
  }

  async jwks(): Promise<JSONWebKeySet> {
    const jwks = await Promise.all(this.#keys.map((key) => key.jwk));
    const byKid = new Map(jwks.map((jwk) => [jwk.kid, jwk] as const));
    return { keys: [...byKid.values()].map((jwk) => ({ ...jwk })) };
  }
}

/**
 * node:crypto's sign with a callback: the signature is computed on libuv's thread pool, so an
 * RSA signature (~0.2 ms of CPU) never holds the event loop, and requests keep being parsed and
 * answered while it runs — in AWS the signature is KMS's, off the function's CPU altogether.
 */
function signOffLoop(data: Uint8Array, key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' }): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    sign('sha256', data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

function toLocalKey(jwk: JWK, where: string): LocalKey {
  if (typeof jwk !== 'object' || jwk === null) throw new SigningError('ERR_SIGNING_KEY_FILE_INVALID', `${where} is not a JWK`);
  const { alg } = jwk;
  if (!isSigningAlgorithm(alg)) {
    throw new SigningError('ERR_SIGNING_KEY_FILE_INVALID', `${where} needs alg ${SIGNING_ALGORITHMS.join(' or ')}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    // Only the code: node:crypto's message and a kept cause could quote key material into logs.
    const code = error instanceof Error && 'code' in error ? ` (${String(error.code)})` : '';
    throw new SigningError('ERR_SIGNING_KEY_FILE_INVALID', `${where} is not a private JWK${code}`);
  }
  const publicJwk = publicJwkFromKeyObject(privateKey, alg).then((derived) => {
    if (jwk.kid !== undefined && jwk.kid !== derived.kid) {
      throw new SigningError('ERR_SIGNING_KEY_FILE_INVALID', `${where} has kid ${jwk.kid}, not its RFC 7638 thumbprint`);
    }
    return derived;
  });
  // Surface a mismatch at first use, not as an unhandled rejection at construction.
  publicJwk.catch(() => undefined);
  return { alg, privateKey, jwk: publicJwk };
}

async function parseKeyFile(text: string, path: string): Promise<LocalKeyFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause: a JSON SyntaxError quotes the text around the error, which is key material.
    invalid(path, 'it is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || !('keys' in parsed) || !Array.isArray(parsed.keys) || parsed.keys.length === 0) {
    invalid(path, 'it needs { "keys": [ <private JWK>, … ] } with at least one key');
  }
  const keys: JWK[] = parsed.keys;
  try {
    await Promise.all(keys.map((jwk, index) => toLocalKey(jwk, `keys[${index}]`).jwk));
  } catch (cause) {
    invalid(path, cause instanceof Error ? cause.message : 'invalid key', cause);
  }
  return { keys };
}

/**
 * Writes a new key file and returns its text, or the text of the file another process created
 * first: the complete file appears at once through `link`, which never replaces an existing one,
 * so a concurrent reader sees no file or a whole one and every process ends up with the same key.
 */
async function createKeyFile(path: string, alg: SigningAlgorithm): Promise<string> {
  const text = `${JSON.stringify({ keys: [await newPrivateJwk(alg)] }, null, 2)}\n`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, text, { flag: 'wx', mode: 0o600 });
  try {
    await link(temporary, path);
    return text;
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    return readFile(path, 'utf8');
  } finally {
    await unlink(temporary);
  }
}

async function newPrivateJwk(alg: SigningAlgorithm): Promise<JWK> {
  const { privateKey } =
    alg === 'RS256'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const { kid } = await publicJwkFromKeyObject(privateKey, alg);
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), alg, kid, use: 'sig' };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

function invalid(path: string, reason: string, cause?: unknown): never {
  throw new SigningError('ERR_SIGNING_KEY_FILE_INVALID', `key file ${path} is invalid: ${reason}`, { cause });
}
