import { TableStore } from './table-store.ts';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { AccessTokenStore, OpaqueAccessToken } from '../../oauth/tokens/access-token-store.ts';
import { n, readNumber, readOptionalNumber, readOptionalString, readOptionalStrings, readString, readStrings, s, strings } from './attributes.ts';

type Item = Record<string, AttributeValue>;

const opaqueKey = (hash: string): Item => ({ pk: s(`ACCESS#${hash}`), sk: s('ACCESS') });
const denyKey = (jti: string): Item => ({ pk: s(`DENY#${jti}`), sk: s('DENY') });

/** Opaque access tokens (`ACCESS#<sha256>`) and denylisted JWT ids (`DENY#<jti>`), both with TTL. */
export class DynamoDbAccessTokenStore extends TableStore implements AccessTokenStore {
  async putOpaque(tokenHash: string, token: OpaqueAccessToken): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...opaqueKey(tokenHash),
          client_id: s(token.clientId),
          subject: s(token.subject),
          scope: strings(token.scope),
          audience: s(token.audience),
          issued_at: n(token.issuedAt),
          expires_at: n(token.expiresAt),
          jti: s(token.jti),
          ...(token.authTime !== undefined && { auth_time: n(token.authTime) }),
          ...(token.familyId !== undefined && { family_id: s(token.familyId) }),
          ...(token.jkt !== undefined && { jkt: s(token.jkt) }),
          ...(token.userinfoClaims !== undefined && { userinfo_claims: strings(token.userinfoClaims) }),
          ...(token.lifetimeProfile !== undefined && { lifetime_profile: s(token.lifetimeProfile) }),
        },
      }),
    );
  }

  async getOpaque(tokenHash: string): Promise<OpaqueAccessToken | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: opaqueKey(tokenHash), ConsistentRead: true }));
    if (!Item) return undefined;
    return {
      clientId: readString(Item, 'client_id'),
      subject: readString(Item, 'subject'),
      scope: readStrings(Item, 'scope'),
      audience: readString(Item, 'audience'),
      issuedAt: readNumber(Item, 'issued_at'),
      expiresAt: readNumber(Item, 'expires_at'),
      jti: readString(Item, 'jti'),
      authTime: readOptionalNumber(Item, 'auth_time'),
      familyId: readOptionalString(Item, 'family_id'),
      jkt: readOptionalString(Item, 'jkt'),
      userinfoClaims: readOptionalStrings(Item, 'userinfo_claims'),
      lifetimeProfile: readOptionalString(Item, 'lifetime_profile'),
    };
  }

  async deleteOpaque(tokenHash: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: opaqueKey(tokenHash) }));
  }

  async deny(jti: string, expiresAt: number): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: { ...denyKey(jti), expires_at: n(expiresAt) } }));
  }

  async isDenied(jti: string, now: number): Promise<boolean> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: denyKey(jti), ConsistentRead: true }));
    return Item !== undefined && readNumber(Item, 'expires_at') > now;
  }
}
