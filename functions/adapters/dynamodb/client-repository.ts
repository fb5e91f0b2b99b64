import { conditional, TableStore } from './table-store.ts';
import {
  DeleteItemCommand,
  GetItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { Client, ClientRepository, ClientType, GrantType, TokenEndpointAuthMethod } from '../../oauth/clients/client.ts';
import { requestIdAttribute } from './request-attribute.ts';
import { bool, n, readBoolean, readNumber, readOptionalString, readString, readStrings, s, strings } from './attributes.ts';

const key = (clientId: string): Record<string, AttributeValue> => ({ pk: s(`CLIENT#${clientId}`), sk: s('CLIENT') });

function toItem(client: Client): Record<string, AttributeValue> {
  return {
    ...key(client.clientId),
    client_id: s(client.clientId),
    client_name: s(client.clientName),
    type: s(client.type),
    auth_method: s(client.tokenEndpointAuthMethod),
    ...(client.secretHash !== undefined && { secret_hash: s(client.secretHash) }),
    redirect_uris: strings(client.redirectUris),
    post_logout_redirect_uris: strings(client.postLogoutRedirectUris),
    grant_types: strings(client.grantTypes),
    scopes: strings(client.scopes),
    audiences: strings(client.audiences),
    ...(client.dpopBoundAccessTokens === true && { dpop_bound_access_tokens: bool(true) }),
    require_pkce: bool(client.requirePkce),
    created_at: n(client.createdAt),
    // Which request registered it, for the security event its insert shows on the table's stream.
    ...requestIdAttribute(),
  };
}

function fromItem(item: Record<string, AttributeValue>): Client {
  const secretHash = readOptionalString(item, 'secret_hash');
  return {
    clientId: readString(item, 'client_id'),
    clientName: readString(item, 'client_name'),
    type: readString(item, 'type') as ClientType,
    tokenEndpointAuthMethod: readString(item, 'auth_method') as TokenEndpointAuthMethod,
    ...(secretHash !== undefined && { secretHash }),
    redirectUris: readStrings(item, 'redirect_uris'),
    postLogoutRedirectUris: readStrings(item, 'post_logout_redirect_uris'),
    grantTypes: readStrings(item, 'grant_types') as GrantType[],
    scopes: readStrings(item, 'scopes'),
    audiences: readStrings(item, 'audiences'),
    ...(readBoolean(item, 'dpop_bound_access_tokens') && { dpopBoundAccessTokens: true }),
    // Clients registered before the setting existed all required PKCE.
    requirePkce: item['require_pkce']?.BOOL !== false,
    createdAt: readNumber(item, 'created_at'),
  };
}

/** Clients in the Lifespan table, one item each (`CLIENT#<id>`). */
export class DynamoDbClientRepository extends TableStore implements ClientRepository {
  async create(client: Client): Promise<void> {
    await this.putNew(toItem(client));
  }

  async get(clientId: string): Promise<Client | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: key(clientId), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async delete(clientId: string): Promise<boolean> {
    return conditional(
      this.client.send(
        new DeleteItemCommand({ TableName: this.table, Key: key(clientId), ConditionExpression: 'attribute_exists(pk)' }),
      ).then(() => true),
      () => false,
    );
  }
}
