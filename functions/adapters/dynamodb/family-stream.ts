import type { Logger } from '../../observability/logger.ts';
import { METRICS, type Metrics } from '../../observability/metrics.ts';
import type { Rotation, RotationHistory } from '../../oauth/tokens/family.ts';

/** The attribute values the stream's images carry (Lambda's event and the SDK's records both fit). */
export interface ImageValue {
  readonly S?: string | undefined;
  readonly N?: string | undefined;
  readonly BOOL?: boolean | undefined;
  readonly L?: readonly ImageValue[] | undefined;
}
export type Image = Readonly<Record<string, ImageValue>>;

/** A DynamoDB stream record, as Lambda delivers it and as the Streams API returns it. */
export interface StreamRecord {
  /** The record's unique id: the same on every delivery of the record. */
  readonly eventID?: string | undefined;
  readonly eventName?: string | undefined;
  readonly dynamodb?:
    | {
        readonly Keys?: Image | undefined;
        readonly NewImage?: Image | undefined;
        readonly OldImage?: Image | undefined;
        readonly SequenceNumber?: string | undefined;
        /** When the change was made: epoch seconds in Lambda's event, a Date from the Streams API. */
        readonly ApproximateCreationDateTime?: number | Date | undefined;
      }
    | undefined;
}

/** Lambda's partial batch response: processing resumes at the first failed record. */
export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * The rotation a record shows, if it shows one: a change of a family item (`FAMILY#<id>` /
 * `FAMILY`) whose generation went up. Everything else on the table (codes, sessions, history
 * items, a refresh with rotation off, a revocation, a TTL deletion) is not a rotation.
 */
export function rotationOf(record: StreamRecord): Rotation | undefined {
  const change = record.dynamodb;
  if (record.eventName !== 'MODIFY' || change?.Keys?.['sk']?.S !== 'FAMILY' || !change.Keys['pk']?.S?.startsWith('FAMILY#')) return undefined;
  const before = Number(change.OldImage?.['generation']?.N);
  const after = Number(change.NewImage?.['generation']?.N);
  if (!(after > before)) return undefined;
  const at = Number(change.NewImage?.['rotated_at']?.N);
  const keepUntil = Number(change.NewImage?.['absolute_expires_at']?.N);
  if (!Number.isFinite(at) || !Number.isFinite(keepUntil)) return undefined;
  return { familyId: change.Keys['pk'].S.slice('FAMILY#'.length), generation: after, at, keepUntil };
}

/**
 * Records every rotation in a batch of stream records. A failed write reports its record, so
 * Lambda (or the local poller) delivers the batch again from there; writes are idempotent, so
 * the records after it that did succeed are simply written again. Every record whose rotation
 * could not be written counts in `RotationHistoryFailures` (alarmed).
 */
export async function recordRotations(
  records: readonly StreamRecord[],
  deps: { readonly history: Pick<RotationHistory, 'record'>; readonly logger: Logger; readonly metrics: Metrics },
): Promise<BatchResponse> {
  return firstFailure(records, await rotationOutcomes(records, deps));
}

/** Whether each record's rotation (if it shows one) is recorded; failures are logged and counted. */
export async function rotationOutcomes(
  records: readonly StreamRecord[],
  deps: { readonly history: Pick<RotationHistory, 'record'>; readonly logger: Logger; readonly metrics: Metrics },
): Promise<boolean[]> {
  const outcomes = await Promise.all(
    records.map(async (record) => {
      const rotation = rotationOf(record);
      if (!rotation) return true;
      try {
        await deps.history.record(rotation);
        return true;
      } catch (error) {
        deps.logger.error('rotation_history_failed', {
          family_id: rotation.familyId,
          generation: rotation.generation,
          error: error instanceof Error ? error.name : String(error),
        });
        return false;
      }
    }),
  );
  const failures = outcomes.filter((outcome) => !outcome).length;
  if (failures > 0) deps.metrics.count(METRICS.rotationHistoryFailures, {}, failures);
  return outcomes;
}

/** Lambda's partial batch response: the first record that failed, from which the batch is delivered again. */
export function firstFailure(records: readonly StreamRecord[], outcomes: readonly boolean[]): BatchResponse {
  const failed = outcomes.indexOf(false);
  const sequence = failed === -1 ? undefined : records[failed]?.dynamodb?.SequenceNumber;
  if (failed !== -1 && sequence === undefined) throw new Error('a record could not be handled and has no sequence number');
  return { batchItemFailures: sequence === undefined ? [] : [{ itemIdentifier: sequence }] };
}
