import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { ProofReplays } from '../../oauth/dpop/replay.ts';
import { n, s } from './attributes.ts';
import { conditional, TableStore } from './table-store.ts';

/**
 * One item per proof (`DPOP#<sha256(jkt, jti)>`), written with a condition so a second write of
 * the same proof fails: one conditional put, kept by TTL only as long as the proof could pass.
 * An item whose TTL has passed but that DynamoDB has not yet deleted counts as absent.
 */
export class DynamoDbProofReplays extends TableStore implements ProofReplays {
  async firstUse(jkt: string, jti: string, until: number, now: number): Promise<boolean> {
    const id = createHash('sha256').update(`${jkt}\0${jti}`).digest('base64url');
    return conditional(
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: s(`DPOP#${id}`), sk: s('DPOP'), expires_at: n(until) },
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
          ExpressionAttributeValues: { ':now': n(now) },
        }),
      ).then(() => true),
      () => false,
    );
  }
}
