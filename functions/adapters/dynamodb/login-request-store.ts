import { conditional, TableStore } from './table-store.ts';
import {
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { Prompt } from '../../oauth/oidc-parameters.ts';
import type { AuthorizationRequest, LoginRequest, LoginRequestStore, LoginResult, LoginStatus } from '../../oauth/sessions/login-request.ts';
import { n, readNumber, readOptionalJson, readOptionalString, readString, s } from './attributes.ts';
import { requestIdUpdate } from './request-attribute.ts';

type Item = Record<string, AttributeValue>;

const key = (challengeHash: string): Item => ({ pk: s(`LOGIN#${challengeHash}`), sk: s('LOGIN') });

/** The request as stored; one stored before prompt became a list held a single value. */
function readRequest(item: Item): AuthorizationRequest {
  const request = JSON.parse(readString(item, 'request')) as AuthorizationRequest & { prompt?: unknown };
  return typeof request.prompt === 'string' ? { ...request, prompt: [request.prompt as Prompt] } : request;
}

function fromItem(item: Item): LoginRequest {
  return {
    request: readRequest(item),
    status: readString(item, 'status') as LoginStatus,
    csrfHash: readString(item, 'csrf_hash'),
    createdAt: readNumber(item, 'created_at'),
    expiresAt: readNumber(item, 'expires_at'),
    sessionSubject: readOptionalString(item, 'session_subject'),
    result: readOptionalJson<LoginResult>(item, 'result'),
    verifierHash: readOptionalString(item, 'verifier_hash'),
  };
}

/** Login challenges (`LOGIN#<sha256>`), moved through their states by conditional writes. */
export class DynamoDbLoginRequestStore extends TableStore implements LoginRequestStore {
  async create(challengeHash: string, login: LoginRequest): Promise<void> {
    await this.putNew({
          ...key(challengeHash),
          request: s(JSON.stringify(login.request)),
          status: s(login.status),
          csrf_hash: s(login.csrfHash),
          created_at: n(login.createdAt),
          expires_at: n(login.expiresAt),
          ...(login.sessionSubject !== undefined && { session_subject: s(login.sessionSubject) }),
        });
  }

  async get(challengeHash: string): Promise<LoginRequest | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: key(challengeHash), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  accept(challengeHash: string, result: LoginResult, verifierHash: string, now: number): Promise<LoginRequest | undefined> {
    return this.#transition(challengeHash, 'pending', 'accepted', now, {
      update: ', #result = :result, verifier_hash = :vh',
      values: { ':result': s(JSON.stringify(result)), ':vh': s(verifierHash) },
    });
  }

  reject(challengeHash: string, now: number, error?: string): Promise<LoginRequest | undefined> {
    return this.#transition(
      challengeHash,
      'pending',
      'rejected',
      now,
      error === undefined ? {} : { update: ', rejected_error = :error', values: { ':error': s(error) } },
    );
  }

  consume(challengeHash: string, verifierHash: string, csrfHash: string, now: number): Promise<LoginRequest | undefined> {
    return this.#transition(challengeHash, 'accepted', 'consumed', now, {
      condition: ' AND verifier_hash = :vh AND csrf_hash = :csrf',
      values: { ':vh': s(verifierHash), ':csrf': s(csrfHash) },
    });
  }

  async #transition(
    challengeHash: string,
    from: LoginStatus,
    to: LoginStatus,
    now: number,
    extra: { update?: string; condition?: string; values?: Item } = {},
  ): Promise<LoginRequest | undefined> {
    // The login app's answer is a security event (the events function reads it from the stream).
    const answered = to === 'accepted' || to === 'rejected';
    const request = answered ? requestIdUpdate() : { set: '', values: {} };
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(challengeHash),
          UpdateExpression: `SET #status = :to${extra.update ?? ''}${answered ? ', answered_at = :now' : ''}${request.set}`,
          ConditionExpression: `#status = :from AND expires_at > :now${extra.condition ?? ''}`,
          ExpressionAttributeNames: { '#status': 'status', ...(extra.update?.includes('#result') && { '#result': 'result' }) },
          ExpressionAttributeValues: { ':from': s(from), ':to': s(to), ':now': n(now), ...extra.values, ...request.values },
          ReturnValues: 'ALL_NEW',
        }),
      ).then(({ Attributes }) => (Attributes ? fromItem(Attributes) : undefined)),
      () => undefined,
    );
  }
}
