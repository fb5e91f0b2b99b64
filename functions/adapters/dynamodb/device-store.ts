import { conditional, TableStore } from './table-store.ts';
import { requestIdUpdate } from './request-attribute.ts';
import {
  GetItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type {
  ConsumeRequest,
  ConsumeResult,
  DeviceApproval,
  DeviceRejection,
  DeviceRequest,
  DeviceStatus,
  DeviceStore,
  PollResult,
  SlowDownRequest,
  SlowDownResult,
} from '../../oauth/device/device-request.ts';
import type { NewFamilyItem } from '../../oauth/tokens/family.ts';
import { familyItem } from './family-store.ts';
import { n, readNumber, readOptionalJson, readOptionalNumber, readOptionalString, readString, readStrings, s, strings } from './attributes.ts';

type Item = Record<string, AttributeValue>;

const deviceKey = (deviceCodeHash: string): Item => ({ pk: s(`DEVICE#${deviceCodeHash}`), sk: s('DEVICE') });
const pointerKey = (userCodeKey: string): Item => ({ pk: s(`USERCODE#${userCodeKey}`), sk: s('USERCODE') });

/** `status` and `interval` are DynamoDB reserved words. */
const NAMES = { '#status': 'status', '#interval': 'interval' };

function fromItem(item: Item): DeviceRequest {
  return {
    clientId: readString(item, 'client_id'),
    scope: readStrings(item, 'scope'),
    audience: readString(item, 'audience'),
    status: readString(item, 'status') as DeviceStatus,
    createdAt: readNumber(item, 'created_at'),
    expiresAt: readNumber(item, 'expires_at'),
    interval: readNumber(item, 'interval'),
    lastPolledAt: readOptionalNumber(item, 'last_polled_at'),
    nextPollAt: readOptionalNumber(item, 'next_poll_at'),
    approval: readOptionalJson<DeviceApproval>(item, 'approval'),
    rejection: readOptionalJson<DeviceRejection>(item, 'rejection'),
    consumedAt: readOptionalNumber(item, 'consumed_at'),
    consumerId: readOptionalString(item, 'consumer_id'),
  };
}

/**
 * Device authorization requests (`DEVICE#<sha256 of the device code>`) and their user-code
 * pointers (`USERCODE#<HMAC of the normalised user code under the server's key>`, from
 * `UserCodeKeys`), both with the TTL attribute.
 * Every state change is one conditional write; expired items count as absent.
 */
export class DynamoDbDeviceStore extends TableStore implements DeviceStore {
  async create(deviceCodeHash: string, userCodeKey: string, device: DeviceRequest): Promise<boolean> {
    return conditional(
      this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                // A user code whose request expired may be reused before DynamoDB deletes it.
                ConditionExpression: 'attribute_not_exists(pk) OR expires_at <= :now',
                ExpressionAttributeValues: { ':now': n(device.createdAt) },
                Item: { ...pointerKey(userCodeKey), device_code_hash: s(deviceCodeHash), expires_at: n(device.expiresAt) },
              },
            },
            {
              Put: {
                TableName: this.table,
                ConditionExpression: 'attribute_not_exists(pk)',
                Item: {
                  ...deviceKey(deviceCodeHash),
                  client_id: s(device.clientId),
                  scope: strings(device.scope),
                  audience: s(device.audience),
                  status: s(device.status),
                  created_at: n(device.createdAt),
                  expires_at: n(device.expiresAt),
                  interval: n(device.interval),
                },
              },
            },
          ],
        }),
      ).then(() => true),
      () => false,
    );
  }

  async findByUserCode(userCodeKey: string, now: number): Promise<{ deviceCodeHash: string; device: DeviceRequest } | undefined> {
    const pointer = await this.#get(pointerKey(userCodeKey), now);
    if (!pointer) return undefined;
    const deviceCodeHash = readString(pointer, 'device_code_hash');
    const item = await this.#get(deviceKey(deviceCodeHash), now);
    return item ? { deviceCodeHash, device: fromItem(item) } : undefined;
  }

  accept(deviceCodeHash: string, approval: DeviceApproval, now: number): Promise<DeviceRequest | undefined> {
    return this.#decide(deviceCodeHash, 'accepted', 'approval', JSON.stringify(approval), now);
  }

  reject(deviceCodeHash: string, rejection: DeviceRejection, now: number): Promise<DeviceRequest | undefined> {
    return this.#decide(deviceCodeHash, 'rejected', 'rejection', JSON.stringify(rejection), now);
  }

  async poll(deviceCodeHash: string, clientId: string, now: number): Promise<PollResult> {
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: deviceKey(deviceCodeHash),
          UpdateExpression: 'SET last_polled_at = :now, next_poll_at = :now + #interval',
          ConditionExpression:
            'attribute_exists(pk) AND client_id = :cid AND #status = :pending AND expires_at > :now AND ' +
            '(attribute_not_exists(next_poll_at) OR next_poll_at <= :now)',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':now': n(now), ':cid': s(clientId), ':pending': s('pending') },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ).then(() => ({ outcome: 'pending' })),
      (item: Item | undefined) => ({ outcome: 'refused', device: item ? fromItem(item) : undefined }),
    );
  }

  async slowDown(request: SlowDownRequest): Promise<SlowDownResult> {
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: deviceKey(request.deviceCodeHash),
          UpdateExpression: 'SET #interval = :interval, last_polled_at = :now, next_poll_at = :next',
          ConditionExpression:
            'client_id = :cid AND #status = :pending AND expires_at > :now AND #interval = :seenInterval AND next_poll_at = :seenNext',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':interval': n(request.interval),
            ':now': n(request.now),
            ':next': n(request.now + request.interval),
            ':cid': s(request.clientId),
            ':pending': s('pending'),
            ':seenInterval': n(request.seen.interval),
            ':seenNext': n(request.seen.nextPollAt ?? 0),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ).then(() => ({ outcome: 'slowed' })),
      (item: Item | undefined) => ({ outcome: 'refused', device: item ? fromItem(item) : undefined }),
    );
  }

  async consume(request: ConsumeRequest, family?: NewFamilyItem): Promise<ConsumeResult> {
    const outcome = await this.updateTogether(
      {
        Key: deviceKey(request.deviceCodeHash),
        UpdateExpression: 'SET #status = :consumed, consumed_at = :now, consumer_id = :consumer',
        ConditionExpression: 'attribute_exists(pk) AND client_id = :cid AND #status = :accepted AND expires_at > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':now': n(request.now),
          ':cid': s(request.clientId),
          ':accepted': s('accepted'),
          ':consumed': s('consumed'),
          ':consumer': s(request.consumerId),
        },
      },
      family && familyItem(family.family, family.expiresAt),
    );
    return outcome.committed ? { outcome: 'consumed' } : { outcome: 'refused', device: outcome.item && fromItem(outcome.item) };
  }

  async #get(key: Item, now: number): Promise<Item | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    // DynamoDB deletes expired items late: until then they are still returned.
    return Item && readNumber(Item, 'expires_at') > now ? Item : undefined;
  }

  async #decide(deviceCodeHash: string, to: DeviceStatus, attribute: 'approval' | 'rejection', value: string, now: number): Promise<DeviceRequest | undefined> {
    const request = requestIdUpdate();
    return conditional(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: deviceKey(deviceCodeHash),
          UpdateExpression: `SET #status = :to, ${attribute} = :value, answered_at = :now${request.set}`,
          ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND expires_at > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': s(to), ':value': s(value), ':pending': s('pending'), ':now': n(now), ...request.values },
          ReturnValues: 'ALL_NEW',
        }),
      ).then(({ Attributes }) => (Attributes ? fromItem(Attributes) : undefined)),
      () => undefined,
    );
  }
}
