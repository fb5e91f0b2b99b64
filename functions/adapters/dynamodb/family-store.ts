import { conditional, TableStore } from './table-store.ts';
import {
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  KEPT_ROTATIONS,
  type Family,
  type FamilyStore,
  type ProofRecord,
  type RevocationReason,
  type RotateRequest,
  type RotateResult,
} from '../../oauth/tokens/family.ts';
import {
  bool,
  n,
  readBoolean,
  readNumber,
  readOptionalNumber,
  readOptionalString,
  readOptionalStrings,
  readString,
  readStrings,
  s,
  strings,
} from './attributes.ts';
import { loginAttributes, readLoginAttributes, readRequestedClaims, requestedClaimsAttribute } from './login-attributes.ts';
import { requestIdUpdate } from './request-attribute.ts';
import { SUBJECT_INDEX_ATTRIBUTES, subjectIndexKeys } from './subject-index.ts';

type Item = Record<string, AttributeValue>;

const key = (familyId: string): Item => ({ pk: s(`FAMILY#${familyId}`), sk: s('FAMILY') });

/** The family's keys in the subject index (its user's listing). */
const indexKeys = (family: Pick<Family, 'subject' | 'createdAt' | 'familyId'>): Item =>
  subjectIndexKeys('FAMILY', family.subject, { createdAt: family.createdAt, id: family.familyId });

/**
 * The item of a new family (also written by the code and device stores, with the single use
 * that starts it). It carries its subject-index keys from the start, so listing it never costs
 * a refresh a second write.
 */
export function familyItem(family: Family, expiresAt: number): Item {
  return {
    ...key(family.familyId),
    ...indexKeys(family),
    family_id: s(family.familyId),
    ...loginAttributes(family),
    ...requestedClaimsAttribute(family.requestedClaims),
    client_id: s(family.clientId),
    scope: strings(family.scope),
    audience: s(family.audience),
    ...(family.resources !== undefined && { resources: strings(family.resources) }),
    created_at: n(family.createdAt),
    absolute_expires_at: n(family.absoluteExpiresAt),
    last_used_at: n(family.lastUsedAt),
    generation: n(family.generation),
    current_hash: s(family.currentHash),
    rotation: bool(family.rotation),
    revoked: bool(family.revoked),
    rotations: { M: {} },
    proofs: { M: {} },
    ...(family.jkt !== undefined && { jkt: s(family.jkt) }),
    expires_at: n(expiresAt),
  };
}

/**
 * The parts of an update that record a DPoP proof in the family's `proofs` map: set it (the
 * whole map when the item has none yet), drop the stale ones, and the condition that it is not
 * there already (or only past its time).
 */
function proofRecord(proof: ProofRecord, names: Record<string, string>, values: Item): { set: string; remove: string[]; condition: string } {
  if (proof.fresh) {
    values[':pmap'] = { M: { [proof.key]: n(proof.until) } };
    return { set: 'proofs = :pmap', remove: [], condition: 'attribute_not_exists(proofs)' };
  }
  values[':pu'] = n(proof.until);
  values[':pnow'] = n(proof.now);
  names['#pk'] = proof.key;
  const remove = proof.drop.map((name, index) => {
    names[`#pd${index}`] = name;
    return `proofs.#pd${index}`;
  });
  return { set: 'proofs.#pk = :pu', remove, condition: '(attribute_not_exists(proofs.#pk) OR proofs.#pk <= :pnow)' };
}

function fromItem(item: Item): Family {
  const rotations: Record<number, number> = {};
  for (const [generation, time] of Object.entries(item['rotations']?.M ?? {})) rotations[Number(generation)] = Number(time.N);
  const proofs = item['proofs']?.M;
  return {
    familyId: readString(item, 'family_id'),
    ...readLoginAttributes(item),
    requestedClaims: readRequestedClaims(item),
    clientId: readString(item, 'client_id'),
    scope: readStrings(item, 'scope'),
    audience: readString(item, 'audience'),
    resources: readOptionalStrings(item, 'resources'),
    createdAt: readNumber(item, 'created_at'),
    absoluteExpiresAt: readNumber(item, 'absolute_expires_at'),
    lastUsedAt: readNumber(item, 'last_used_at'),
    generation: readNumber(item, 'generation'),
    currentHash: readString(item, 'current_hash'),
    previousHash: readOptionalString(item, 'previous_hash'),
    rotatedAt: readOptionalNumber(item, 'rotated_at'),
    rotation: readBoolean(item, 'rotation'),
    revoked: readBoolean(item, 'revoked'),
    revokedReason: readOptionalString(item, 'revoked_reason') as RevocationReason | undefined,
    revokedAt: readOptionalNumber(item, 'revoked_at'),
    reuseDetectedAt: readOptionalNumber(item, 'reuse_detected_at'),
    rotationId: readOptionalString(item, 'rotation_id'),
    jkt: readOptionalString(item, 'jkt'),
    proofs: proofs && Object.fromEntries(Object.entries(proofs).map(([name, until]) => [name, Number(until.N)])),
    rotations,
  };
}

/**
 * Refresh-token families, one item each (`FAMILY#<id>`), TTL = min(last use + idle, absolute),
 * in the subject index (subject-index.ts) from creation until revoked.
 */
export class DynamoDbFamilyStore extends TableStore implements FamilyStore {
  async create(family: Family, expiresAt: number): Promise<void> {
    await this.putNew(familyItem(family, expiresAt));
  }

  async rotate(request: RotateRequest): Promise<RotateResult> {
    const next = request.generation + 1;
    const values: Item = {
      ':h': s(request.presentedHash),
      ':gen': n(request.generation),
      ':cid': s(request.clientId),
      ':abs': n(request.absoluteExpiresAt),
      ':now': n(request.now),
      ':idle': n(request.idleCutoff),
      ':false': bool(false),
      ':ttl': n(request.expiresAt),
      ':rid': s(request.rotationId),
    };
    const names: Record<string, string> = {};
    const scopeConditions = (request.requiredScope ?? []).map((scope, index) => {
      values[`:scope${index}`] = s(scope);
      return ` AND contains(#scope, :scope${index})`;
    });
    if (scopeConditions.length > 0) names['#scope'] = 'scope';
    let resourceCondition = '';
    if (request.requiredResource !== undefined) {
      values[':res'] = s(request.requiredResource);
      names['#resources'] = 'resources';
      resourceCondition = ' AND (audience = :res OR contains(#resources, :res))';
    }
    let rateCondition = '';
    if (request.rateLimit) {
      names['#rl'] = String(request.rateLimit.generation);
      values[':ws'] = n(request.rateLimit.windowStart);
      rateCondition = ' AND (attribute_not_exists(rotations.#rl) OR rotations.#rl < :ws)';
    }
    let update = 'SET last_used_at = :now, expires_at = :ttl, rotation_id = :rid';
    const removed: string[] = [];
    let proofCondition = '';
    if (request.proof) {
      // The same proof twice is a replay, even with rotation off (the token then stays the same).
      const recorded = proofRecord(request.proof, names, values);
      update += `, ${recorded.set}`;
      removed.push(...recorded.remove);
      proofCondition = ` AND ${recorded.condition}`;
    }
    if (request.listedAs) {
      const keys = indexKeys({ ...request.listedAs, familyId: request.familyId });
      SUBJECT_INDEX_ATTRIBUTES.forEach((name, index) => {
        names[`#ix${index}`] = name;
        values[`:ix${index}`] = keys[name]!;
        update += `, #ix${index} = :ix${index}`;
      });
    }
    if (request.rotate) {
      values[':next'] = s(request.nextHash);
      values[':one'] = n(1);
      names['#new'] = String(next);
      update += ', previous_hash = current_hash, current_hash = :next, generation = generation + :one, rotated_at = :now, rotations.#new = :now';
      if (next - KEPT_ROTATIONS >= 1) {
        names['#old'] = String(next - KEPT_ROTATIONS);
        removed.push('rotations.#old');
      }
    }
    if (removed.length > 0) update += ` REMOVE ${removed.join(', ')}`;
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(request.familyId),
          UpdateExpression: update,
          ConditionExpression:
            'current_hash = :h AND generation = :gen AND client_id = :cid AND revoked = :false AND ' +
            'absolute_expires_at = :abs AND absolute_expires_at > :now AND last_used_at > :idle' +
            scopeConditions.join('') +
            resourceCondition +
            rateCondition +
            proofCondition,
          ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ).then(({ Attributes }) => ({ outcome: 'rotated', family: fromItem(Attributes ?? {}) })),
      (item: Item | undefined) => ({ outcome: 'refused', family: item ? fromItem(item) : undefined }),
    );
  }

  async recordProof(familyId: string, proof: ProofRecord): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Item = { ':false': bool(false) };
    const recorded = proofRecord(proof, names, values);
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(familyId),
          UpdateExpression: `SET ${recorded.set}${recorded.remove.length > 0 ? ` REMOVE ${recorded.remove.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(pk) AND revoked = :false AND ${recorded.condition}`,
          ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
          ExpressionAttributeValues: values,
        }),
      ).then(() => true),
      () => false,
    );
  }

  async revoke(familyId: string, reason: RevocationReason, now: number): Promise<boolean> {
    return this.#revoke(familyId, reason, now, false);
  }

  async revokeForReuse(familyId: string, now: number): Promise<boolean> {
    return this.#revoke(familyId, 'reuse', now, true);
  }

  async #revoke(familyId: string, reason: RevocationReason, now: number, reuse: boolean): Promise<boolean> {
    const request = requestIdUpdate();
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(familyId),
          // Out of the subject index too: a user's listing reads only families that may be live.
          UpdateExpression:
            `SET revoked = :true, revoked_reason = :reason, revoked_at = :now${reuse ? ', reuse_detected_at = :now' : ''}${request.set} ` +
            `REMOVE ${SUBJECT_INDEX_ATTRIBUTES.map((_, index) => `#ix${index}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND revoked = :false',
          ExpressionAttributeNames: Object.fromEntries(SUBJECT_INDEX_ATTRIBUTES.map((name, index) => [`#ix${index}`, name])),
          ExpressionAttributeValues: { ':true': bool(true), ':false': bool(false), ':reason': s(reason), ':now': n(now), ...request.values },
        }),
      ).then(() => true),
      () => false,
    );
  }

  async get(familyId: string): Promise<Family | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: key(familyId), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }
}
