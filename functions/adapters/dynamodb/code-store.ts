import { TableStore } from './table-store.ts';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AuthorizationCode, CodeStore, RedeemRequest } from '../../oauth/tokens/code.ts';
import type { NewFamilyItem } from '../../oauth/tokens/family.ts';
import { familyItem } from './family-store.ts';
import { loginAttributes, readLoginAttributes, readRequestedClaims, requestedClaimsAttribute } from './login-attributes.ts';
import { bool, n, readBoolean, readNumber, readOptionalNumber, readOptionalString, readOptionalStrings, readString, readStrings, s, strings } from './attributes.ts';

type Item = Record<string, AttributeValue>;

const key = (codeHash: string): Item => ({ pk: s(`CODE#${codeHash}`), sk: s('CODE') });

function fromItem(item: Item): AuthorizationCode {
  return {
    clientId: readString(item, 'client_id'),
    redirectUri: readString(item, 'redirect_uri'),
    redirectUriOmitted: readBoolean(item, 'redirect_uri_omitted'),
    codeChallenge: readOptionalString(item, 'code_challenge'),
    ...readLoginAttributes(item),
    requestedClaims: readRequestedClaims(item),
    scope: readStrings(item, 'scope'),
    audience: readString(item, 'audience'),
    resources: readOptionalStrings(item, 'resources'),
    createdAt: readNumber(item, 'created_at'),
    expiresAt: readNumber(item, 'expires_at'),
    nonce: readOptionalString(item, 'nonce'),
    redeemedAt: readOptionalNumber(item, 'redeemed_at'),
    familyId: readOptionalString(item, 'family_id'),
    accessTokenId: readOptionalString(item, 'access_jti'),
    jkt: readOptionalString(item, 'jkt'),
    proofJti: readOptionalString(item, 'proof_jti'),
    proofJkt: readOptionalString(item, 'proof_jkt'),
  };
}

/** Authorization codes by hash (`CODE#<sha256>`), with the TTL attribute. */
export class DynamoDbCodeStore extends TableStore implements CodeStore {
  async create(codeHash: string, code: AuthorizationCode): Promise<void> {
    await this.putNew({
          ...key(codeHash),
          client_id: s(code.clientId),
          redirect_uri: s(code.redirectUri),
          ...(code.redirectUriOmitted && { redirect_uri_omitted: bool(true) }),
          ...(code.codeChallenge !== undefined && { code_challenge: s(code.codeChallenge) }),
          ...loginAttributes(code),
          ...requestedClaimsAttribute(code.requestedClaims),
          scope: strings(code.scope),
          audience: s(code.audience),
          ...(code.resources !== undefined && { resources: strings(code.resources) }),
          created_at: n(code.createdAt),
          expires_at: n(code.expiresAt),
          ...(code.nonce !== undefined && { nonce: s(code.nonce) }),
          ...(code.jkt !== undefined && { jkt: s(code.jkt) }),
        });
  }

  async get(codeHash: string): Promise<AuthorizationCode | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: key(codeHash), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  async redeem(request: RedeemRequest, family?: NewFamilyItem): Promise<'redeemed' | 'refused'> {
    const outcome = await this.updateTogether(
      {
        Key: key(request.codeHash),
        UpdateExpression: `SET redeemed_at = :now, family_id = :fid, access_jti = :jti${request.proofJti !== undefined ? ', proof_jti = :pj, proof_jkt = :pk' : ''}`,
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(redeemed_at) AND expires_at > :now AND ' +
          'client_id = :cid AND ' +
          // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is refused, like a wrong one.
          (request.codeChallenge !== undefined ? 'code_challenge = :cc AND ' : 'attribute_not_exists(code_challenge) AND ') +
          (request.redirectUri !== undefined ? 'redirect_uri = :ru' : 'redirect_uri_omitted = :true') +
          (request.resource !== undefined ? ' AND (audience = :res OR contains(#resources, :res))' : ''),
        ...(request.resource !== undefined && { ExpressionAttributeNames: { '#resources': 'resources' } }),
        ExpressionAttributeValues: {
          ':now': n(request.now),
          ':fid': s(request.familyId),
          ':jti': s(request.accessTokenId),
          ':cid': s(request.clientId),
          ...(request.codeChallenge !== undefined && { ':cc': s(request.codeChallenge) }),
          ...(request.redirectUri !== undefined ? { ':ru': s(request.redirectUri) } : { ':true': bool(true) }),
          ...(request.resource !== undefined && { ':res': s(request.resource) }),
          ...(request.proofJti !== undefined && { ':pj': s(request.proofJti), ':pk': s(request.proofJkt ?? '') }),
        },
      },
      family && familyItem(family.family, family.expiresAt),
    );
    return outcome.committed ? 'redeemed' : 'refused';
  }
}
