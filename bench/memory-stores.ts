import type { Client } from '../functions/oauth/clients/client.ts';
import type { ProofReplays } from '../functions/oauth/dpop/replay.ts';
import type { AuthorizationCode, CodeStore, RedeemRequest } from '../functions/oauth/tokens/code.ts';
import type { Family, FamilyStore, NewFamilyItem, RotateRequest, RotateResult } from '../functions/oauth/tokens/family.ts';

/**
 * In-memory stand-ins for the stores the token grants write to, so the CPU a grant spends can
 * be measured without the AWS SDK and DynamoDB: the happy path only, the conditions checked
 * (the right secret, generation and code), nothing else.
 */

export class MemoryFamilies implements FamilyStore {
  readonly #families = new Map<string, Family>();

  async create(family: Family): Promise<void> {
    this.#families.set(family.familyId, family);
  }

  async rotate(request: RotateRequest): Promise<RotateResult> {
    const family = this.#families.get(request.familyId);
    if (!family || family.revoked || family.currentHash !== request.presentedHash || family.generation !== request.generation) {
      return { outcome: 'refused', family };
    }
    const next = request.generation + 1;
    const rotations: Record<number, number> = { ...family.rotations, [next]: request.now };
    delete rotations[next - 20];
    const rotated: Family = {
      ...family,
      lastUsedAt: request.now,
      ...(request.rotate && {
        previousHash: family.currentHash,
        currentHash: request.nextHash,
        generation: next,
        rotatedAt: request.now,
        rotations,
      }),
    };
    this.#families.set(family.familyId, {
      ...rotated,
      rotationId: request.rotationId,
      ...(request.proof !== undefined && { proofs: { ...family.proofs, [request.proof.key]: request.proof.until } }),
    });
    return { outcome: 'rotated', family: rotated };
  }

  async recordProof(): Promise<boolean> {
    throw new Error('not used by the happy path');
  }

  async revoke(): Promise<boolean> {
    throw new Error('not used by the happy path');
  }

  async revokeForReuse(): Promise<boolean> {
    throw new Error('not used by the happy path');
  }

  async get(familyId: string): Promise<Family | undefined> {
    return this.#families.get(familyId);
  }
}

export class MemoryCodes implements CodeStore {
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly families: MemoryFamilies | undefined;

  constructor(families?: MemoryFamilies) {
    this.families = families;
  }

  async create(codeHash: string, code: AuthorizationCode): Promise<void> {
    this.#codes.set(codeHash, code);
  }

  async get(codeHash: string): Promise<AuthorizationCode | undefined> {
    return this.#codes.get(codeHash);
  }

  async redeem(request: RedeemRequest, family?: NewFamilyItem): Promise<'redeemed' | 'refused'> {
    const code = this.#codes.get(request.codeHash);
    if (!code || code.redeemedAt !== undefined || code.clientId !== request.clientId || code.codeChallenge !== request.codeChallenge) {
      return 'refused';
    }
    this.#codes.set(request.codeHash, { ...code, redeemedAt: request.now, familyId: request.familyId, accessTokenId: request.accessTokenId });
    if (family) await this.families?.create(family.family);
    return 'redeemed';
  }
}

export function memoryClients(clients: readonly Client[]) {
  const byId = new Map(clients.map((client) => [client.clientId, client] as const));
  return { get: async (clientId: string) => byId.get(clientId) };
}

/** A dependency the measured path never touches: any use fails loudly. */
export function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`${name}.${String(property)} is not expected on this path`);
    },
  });
}

/** DPoP proofs seen, in memory (the service makes one conditional put per client-credentials proof). */
export class MemoryProofReplays implements ProofReplays {
  readonly #seen = new Set<string>();

  async firstUse(jkt: string, jti: string): Promise<boolean> {
    const key = `${jkt} ${jti}`;
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    return true;
  }
}
