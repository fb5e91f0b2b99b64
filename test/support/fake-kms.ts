import { createHash, createHmac, createSecretKey, generateKeyPairSync, privateEncrypt, randomBytes, randomUUID, constants, type KeyObject } from 'node:crypto';
import {
  GenerateMacCommand,
  GetPublicKeyCommand,
  UnsupportedOperationException,
  InvalidKeyUsageException,
  KMSInternalException,
  KMSServiceException,
  NotFoundException,
  SignCommand,
  type GenerateMacCommandOutput,
  type GetPublicKeyCommandOutput,
  type KeySpec,
  type KeyUsageType,
  type SignCommandInput,
  type SignCommandOutput,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { AWS_CALL_BUDGETS } from '../../functions/runtime/aws-clients.ts';
import { CueList, delay, Hangs, likeRealClient, requestTimeoutError, type FaultCue } from './fault-cues.ts';

/** Key specs the fake can create; only RSA PKCS#1 v1.5 SHA-256 and P-256 ECDSA SHA-256 can sign. */
export type FakeKeySpec = Extract<KeySpec, 'RSA_2048' | 'RSA_3072' | 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'HMAC_256'>;

/** Options of {@link FakeKms.createKey}. */
export interface FakeKeyOptions {
  readonly keySpec: FakeKeySpec;
  /** @default 'SIGN_VERIFY' */
  readonly keyUsage?: Extract<KeyUsageType, 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC'>;
  /** An alias (`alias/…`) that also resolves to the key. */
  readonly alias?: string;
}

/** A key the fake holds; tests read `keyId`, `arn` and `publicKey`. */
export interface FakeKey {
  readonly keyId: string;
  readonly arn: string;
  readonly keySpec: FakeKeySpec;
  readonly keyUsage: KeyUsageType;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

/**
 * How a faked KMS call fails:
 * - `throttle`: `ThrottlingException` (400), which KMS's model does not declare: the SDK builds
 *   it as the base `KMSServiceException`, named, and so does the fake.
 * - `internal`: `KMSInternalException` (500).
 * - `timeout`: waits `delayMs`, then rejects as the SDK's request timeout does (`TimeoutError`).
 * - `hang`: never settles until {@link FakeKms.clearFaults}, then answers as KMS would.
 */
export type KmsFaultMode = 'throttle' | 'internal' | 'timeout' | 'hang';

/** A cue of {@link FakeKms.failSign} or {@link FakeKms.failGetPublicKey}. */
export interface KmsFault {
  readonly mode: KmsFaultMode;
  /** How many calls it fails, each retry of `translateUnavailable` included. @default every call until cleared */
  readonly times?: number;
  /** How long `timeout` waits before rejecting. @default 10 */
  readonly delayMs?: number;
}

/** Options of {@link FakeKms}. */
export interface FakeKmsOptions {
  /**
   * Behave like `kmsClient()` (functions/runtime/aws-clients.ts) rather than a bare SDK client:
   * a transient error is retried up to `AWS_CALL_BUDGETS.kms.maxAttempts` attempts in all (no
   * backoff) and what is left becomes `asUnavailable(error, 'KMS')`: 503 `temporarily_unavailable`.
   * @default false
   */
  readonly translateUnavailable?: boolean;
}

type Operation = 'GetPublicKey' | 'Sign';
const MODES: ReadonlySet<string> = new Set<KmsFaultMode>(['throttle', 'internal', 'timeout', 'hang']);
const DEFAULT_TIMEOUT_DELAY_MS = 10;

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const RAW_MESSAGE_LIMIT = 4096;
/** DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1): PKCS#1 v1.5 signs prefix ‖ digest. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const SIGNING_ALGORITHMS: Record<FakeKeySpec, SigningAlgorithmSpec[]> = {
  RSA_2048: rsaAlgorithms(),
  RSA_3072: rsaAlgorithms(),
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  ECC_NIST_P384: ['ECDSA_SHA_384'],
  HMAC_256: [],
};

/**
 * A KMS client fake that behaves like KMS for `GetPublicKey` and `Sign` (KMS has no emulator):
 * real key pairs, DER SubjectPublicKeyInfo, DER ECDSA signatures, pre-hashed `DIGEST` signing,
 * KMS's exceptions for unknown keys, wrong usage or algorithm and bad digests. Counts calls.
 * Fails on cue ({@link failSign}, {@link failGetPublicKey}) with KMS's own errors.
 *
 * @example
 * const kms = new FakeKms({ translateUnavailable: true });
 * const key = kms.createKey({ keySpec: 'ECC_NIST_P256' });
 * kms.failSign({ mode: 'throttle', times: 2 });
 * await expect(kms.send(new SignCommand({ KeyId: key.keyId, ... }))).rejects.toBeInstanceOf(TemporarilyUnavailable);
 * expect(kms.calls.Sign).toBe(2);
 */
export class FakeKms {
  /** Calls per command (attempts, with `translateUnavailable`), so tests can assert caching. */
  readonly calls = { GetPublicKey: 0, Sign: 0, GenerateMac: 0 };
  /** Every `Sign` input, in order. */
  readonly signRequests: SignCommandInput[] = [];
  readonly #keys = new Map<string, FakeKey>();
  readonly #cues = new CueList<Operation, KmsFault>();
  readonly #hangs = new Hangs();
  readonly #translateUnavailable: boolean;

  constructor(options: FakeKmsOptions = {}) {
    this.#translateUnavailable = options.translateUnavailable ?? false;
  }

  /** Makes `Sign` fail, the next `times` calls or until {@link clearFaults}. */
  failSign(fault: KmsFault): FaultCue {
    return this.#fail('Sign', fault);
  }

  /** Makes `GetPublicKey` fail, the next `times` calls or until {@link clearFaults}. */
  failGetPublicKey(fault: KmsFault): FaultCue {
    return this.#fail('GetPublicKey', fault);
  }

  /** Withdraws every cue; calls held by `hang` go on and are answered. */
  clearFaults(): void {
    this.#cues.clear();
    this.#hangs.release();
  }

  /** Calls held by `hang` right now. */
  get hanging(): number {
    return this.#hangs.size;
  }

  /** Creates a key pair of `keySpec` and returns its ids. */
  createKey(options: FakeKeyOptions): FakeKey {
    const keyId = randomUUID();
    const key: FakeKey = {
      keyId,
      arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`,
      keySpec: options.keySpec,
      keyUsage: options.keyUsage ?? 'SIGN_VERIFY',
      ...generateKeyPair(options.keySpec),
    };
    for (const id of [key.keyId, key.arn, options.alias]) if (id !== undefined) this.#keys.set(id, key);
    return key;
  }

  send(command: GetPublicKeyCommand): Promise<GetPublicKeyCommandOutput>;
  send(command: SignCommand): Promise<SignCommandOutput>;
  send(command: GenerateMacCommand): Promise<GenerateMacCommandOutput>;
  async send(command: GetPublicKeyCommand | SignCommand | GenerateMacCommand): Promise<GetPublicKeyCommandOutput | SignCommandOutput | GenerateMacCommandOutput> {
    if (command instanceof GenerateMacCommand) {
      await new Promise((resolve) => setImmediate(resolve));
      this.calls.GenerateMac += 1;
      return this.#generateMac(command.input.KeyId, command.input.Message);
    }
    if (!(command instanceof GetPublicKeyCommand || command instanceof SignCommand)) {
      throw new Error(`FakeKms does not implement ${(command as object).constructor.name}`);
    }
    if (!this.#translateUnavailable) return this.#attempt(command);
    return likeRealClient('KMS', AWS_CALL_BUDGETS.kms.maxAttempts, () => this.#attempt(command));
  }

  /** One request to KMS: counted, then struck by a cue or answered. */
  async #attempt(command: GetPublicKeyCommand | SignCommand): Promise<GetPublicKeyCommandOutput | SignCommandOutput> {
    // A real client never answers in the same tick; this lets concurrent callers overlap.
    await new Promise((resolve) => setImmediate(resolve));
    if (command instanceof GetPublicKeyCommand) {
      this.calls.GetPublicKey += 1;
      await this.#strike('GetPublicKey');
      return this.#getPublicKey(command.input.KeyId);
    }
    this.calls.Sign += 1;
    this.signRequests.push(command.input);
    await this.#strike('Sign');
    return this.#sign(command.input);
  }

  #fail(operation: Operation, fault: KmsFault): FaultCue {
    if (!MODES.has(fault.mode)) throw new TypeError(`unknown KMS fault mode ${String(fault.mode)}`);
    if (fault.delayMs !== undefined && !(fault.delayMs >= 0)) throw new TypeError('delayMs must be a number of milliseconds');
    return this.#cues.add(fault, (request) => request === operation);
  }

  async #strike(operation: Operation): Promise<void> {
    const fault = this.#cues.take(operation);
    switch (fault?.mode) {
      case undefined:
        return;
      case 'throttle':
        throw deserialized(new KMSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: metadata(400), message: 'Rate exceeded' }));
      case 'internal':
        throw deserialized(new KMSInternalException({ $metadata: metadata(500), message: 'KMS encountered an internal error. Please try again.' }));
      case 'timeout':
        await delay(fault.delayMs ?? DEFAULT_TIMEOUT_DELAY_MS);
        throw requestTimeoutError(AWS_CALL_BUDGETS.kms.requestTimeoutMs);
      case 'hang':
        return this.#hangs.hold();
    }
  }

  /** HMAC-SHA-256 with an HMAC_256 key, as the successor key is derived in AWS. */
  #generateMac(keyId: string | undefined, message: Uint8Array | undefined): GenerateMacCommandOutput {
    const key = this.#resolve(keyId);
    if (key.keyUsage !== 'GENERATE_VERIFY_MAC') {
      throw new InvalidKeyUsageException({ $metadata: { httpStatusCode: 400 }, message: `${key.arn} key usage is ${key.keyUsage} which is not valid for GenerateMac.` });
    }
    if (!(message instanceof Uint8Array)) throw validation('Message is required');
    const mac = createHmac('sha256', key.privateKey).update(message).digest();
    return { $metadata: { httpStatusCode: 200 }, KeyId: key.arn, MacAlgorithm: 'HMAC_SHA_256', Mac: new Uint8Array(mac) };
  }

  #getPublicKey(keyId: string | undefined): GetPublicKeyCommandOutput {
    const key = this.#resolve(keyId);
    if (key.keySpec === 'HMAC_256') {
      throw new UnsupportedOperationException({ $metadata: { httpStatusCode: 400 }, message: `${key.arn} is a symmetric key: it has no public key.` });
    }
    const usage =
      key.keyUsage === 'SIGN_VERIFY'
        ? { SigningAlgorithms: SIGNING_ALGORITHMS[key.keySpec] }
        : { EncryptionAlgorithms: key.keySpec.startsWith('RSA') ? ['RSAES_OAEP_SHA_256' as const] : [] };
    return {
      $metadata: { httpStatusCode: 200 },
      KeyId: key.arn,
      PublicKey: new Uint8Array(key.publicKey.export({ format: 'der', type: 'spki' })),
      KeySpec: key.keySpec,
      CustomerMasterKeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      ...usage,
    };
  }

  #sign(input: SignCommandInput): SignCommandOutput {
    const key = this.#resolve(input.KeyId);
    const algorithm = input.SigningAlgorithm;
    if (key.keyUsage !== 'SIGN_VERIFY' || algorithm === undefined || !SIGNING_ALGORITHMS[key.keySpec].includes(algorithm)) {
      throw new InvalidKeyUsageException({
        $metadata: { httpStatusCode: 400 },
        message: `${key.arn} key usage is ${key.keyUsage} which is not valid for Sign with ${String(algorithm)}.`,
      });
    }
    const message = input.Message;
    if (!(message instanceof Uint8Array)) throw validation('Message is required');
    let digest: Uint8Array;
    if (input.MessageType === 'DIGEST') {
      digest = message;
    } else {
      if (message.length > RAW_MESSAGE_LIMIT) throw validation(`Message must be at most ${RAW_MESSAGE_LIMIT} bytes`);
      digest = createHash('sha256').update(message).digest();
    }
    if (digest.length !== 32) throw validation(`Digest is invalid length for algorithm ${algorithm}.`);
    return {
      $metadata: { httpStatusCode: 200 },
      KeyId: key.arn,
      SigningAlgorithm: algorithm,
      Signature: signDigest(key, algorithm, digest),
    };
  }

  #resolve(keyId: string | undefined): FakeKey {
    const key = keyId === undefined ? undefined : this.#keys.get(keyId);
    if (key === undefined) {
      throw new NotFoundException({ $metadata: { httpStatusCode: 400 }, message: `Key '${String(keyId)}' does not exist` });
    }
    return key;
  }
}

/** An error answer's metadata, as the SDK's deserializer fills it. */
function metadata(httpStatusCode: number) {
  return { httpStatusCode, requestId: randomUUID() };
}

/** The SDK's deserializer also copies the body's `__type` onto the exception. */
function deserialized<E extends KMSServiceException>(error: E): E {
  return Object.assign(error, { __type: error.name });
}

function rsaAlgorithms(): SigningAlgorithmSpec[] {
  return ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512'];
}

function generateKeyPair(spec: FakeKeySpec): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (spec) {
    case 'RSA_2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'RSA_3072':
      return generateKeyPairSync('rsa', { modulusLength: 3072 });
    case 'ECC_NIST_P256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ECC_NIST_P384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'HMAC_256': {
      const secret = createSecretKey(randomBytes(32));
      return { publicKey: secret, privateKey: secret };
    }
  }
}

function validation(message: string): KMSServiceException {
  return new KMSServiceException({ name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/**
 * Signs a digest as KMS does, without hashing it again: node:crypto's one-shot `sign` always
 * hashes its input, so RSA goes through the private-key primitive with the DigestInfo prefix
 * and ECDSA is computed here.
 */
function signDigest(key: FakeKey, algorithm: SigningAlgorithmSpec, digest: Uint8Array): Uint8Array {
  if (algorithm === 'RSASSA_PKCS1_V1_5_SHA_256') {
    const padded = privateEncrypt(
      { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([SHA256_DIGEST_INFO, digest]),
    );
    return new Uint8Array(padded);
  }
  if (algorithm === 'ECDSA_SHA_256' && key.keySpec === 'ECC_NIST_P256') {
    const d = bytesToBigInt(Buffer.from(key.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
    return ecdsaP256SignDigest(d, digest);
  }
  throw new Error(`FakeKms does not implement Sign with ${algorithm}`);
}

// P-256 (FIPS 186-4 D.1.2.3). Plain affine arithmetic: slow by curve standards, fast enough for tests.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

type Point = { readonly x: bigint; readonly y: bigint } | null;

/** ECDSA over a 32-byte digest, DER-encoded like KMS returns it. */
function ecdsaP256SignDigest(d: bigint, digest: Uint8Array): Uint8Array {
  const z = bytesToBigInt(digest);
  for (;;) {
    const k = bytesToBigInt(randomBytes(32));
    if (k === 0n || k >= N) continue;
    const point = multiply(k, G);
    if (point === null) continue;
    const r = mod(point.x, N);
    const s = mod(invert(k, N) * (z + r * d), N);
    if (r !== 0n && s !== 0n) return derSequence(derInteger(r), derInteger(s));
  }
}

function add(p1: Point, p2: Point): Point {
  if (p1 === null) return p2;
  if (p2 === null) return p1;
  let slope: bigint;
  if (p1.x === p2.x) {
    if (mod(p1.y + p2.y, P) === 0n) return null;
    slope = mod((3n * p1.x * p1.x + A) * invert(2n * p1.y, P), P);
  } else {
    slope = mod((p2.y - p1.y) * invert(p2.x - p1.x, P), P);
  }
  const x = mod(slope * slope - p1.x - p2.x, P);
  return { x, y: mod(slope * (p1.x - x) - p1.y, P) };
}

function multiply(scalar: bigint, point: Point): Point {
  let result: Point = null;
  let addend = point;
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

function mod(value: bigint, modulus: bigint): bigint {
  const r = value % modulus;
  return r < 0n ? r + modulus : r;
}

function invert(value: bigint, modulus: bigint): bigint {
  let [oldR, r] = [mod(value, modulus), modulus];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, modulus);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function derInteger(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  // A set high bit would read as negative; DER adds one zero byte.
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}

function derSequence(...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
}
