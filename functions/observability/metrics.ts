import { stdoutLines, type LineSink } from './logger.ts';
import { currentRequestContext } from './request-context.ts';

/**
 * Counters published as CloudWatch Embedded Metric Format: one JSON log line per data point,
 * which CloudWatch turns into a metric without an API call from the function.
 */
export interface Metrics {
  count(name: MetricName, dimensions?: Record<string, string>, value?: number): void;
}

export const METRIC_NAMESPACE = 'Lifespan';

/**
 * Every metric the service emits. Alarms and the dashboard (infra/) refer to these names.
 * Each data point is published twice: with `Stage` alone (what alarms watch) and with
 * `Stage` plus its own dimensions (grant, client, reason…, for the dashboard).
 */
export const METRICS = {
  tokensIssued: 'TokensIssued',
  refreshRotated: 'RefreshRotated',
  refreshReuseDetected: 'RefreshReuseDetected',
  familyRevoked: 'FamilyRevoked',
  invalidGrant: 'InvalidGrant',
  invalidClient: 'InvalidClient',
  rateLimited: 'RateLimited',
  configurationRejected: 'ConfigurationRejected',
  configurationLoadFailed: 'ConfigurationLoadFailed',
  /** Stream records whose rotation the events function could not write to the history (each retried). */
  rotationHistoryFailures: 'RotationHistoryFailures',
  /** Security events the events function published (to EventBridge, or locally to events.jsonl). */
  securityEventsPublished: 'SecurityEventsPublished',
  /**
   * Security events not published or not recorded: on the stream, each is retried (a partial
   * batch failure); on a request, its record in the outbox failed or was late (logged).
   */
  securityEventFailures: 'SecurityEventFailures',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

interface Point {
  readonly name: MetricName;
  readonly dimensions: Record<string, string>;
  value: number;
}

/**
 * EMF metrics, buffered: the points counted while a request runs leave as one line (one
 * directive per metric in `CloudWatchMetrics`), written straight to stdout (EMF must be a bare
 * JSON line, without Lambda's console prefix). The Lambda handler flushes before it returns,
 * since Lambda may freeze the process right after; otherwise the next macrotask flushes.
 */
export function emfMetrics(stage: string, write: LineSink = stdoutLines): Metrics & { flush(): void } {
  let points: Point[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (points.length === 0) return;
    const pending = points;
    points = [];
    // Points whose dimension values agree share a line; a conflict starts another.
    const lines: Array<{ root: Record<string, string | number>; directives: unknown[] }> = [];
    for (const point of pending) {
      const fits = (root: Record<string, string | number>) =>
        !(point.name in root) && Object.entries(point.dimensions).every(([key, value]) => root[key] === undefined || root[key] === value);
      let line = lines.find((candidate) => fits(candidate.root));
      if (!line) {
        line = { root: { Stage: stage }, directives: [] };
        lines.push(line);
      }
      Object.assign(line.root, point.dimensions, { Stage: stage, [point.name]: point.value });
      const extra = Object.keys(point.dimensions).filter((key) => key !== 'Stage');
      line.directives.push({
        Namespace: METRIC_NAMESPACE,
        Dimensions: extra.length > 0 ? [['Stage'], ['Stage', ...extra]] : [['Stage']],
        Metrics: [{ Name: point.name, Unit: 'Count' }],
      });
    }
    const timestamp = Date.now();
    // The request id is a property, not a dimension: it links the line to the request's logs.
    const context = currentRequestContext();
    for (const line of lines) {
      write(JSON.stringify({ _aws: { Timestamp: timestamp, CloudWatchMetrics: line.directives }, ...line.root, ...context }));
    }
  };
  return {
    count(name, dimensions = {}, value = 1) {
      const same = points.find(
        (point) => point.name === name && JSON.stringify(point.dimensions) === JSON.stringify(dimensions),
      );
      if (same) same.value += value;
      else points.push({ name, dimensions, value });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** Metrics kept in memory, for tests. */
export function memoryMetrics(): Metrics & { points: Array<{ name: string; dimensions: Record<string, string>; value: number }> } {
  const points: Array<{ name: string; dimensions: Record<string, string>; value: number }> = [];
  return {
    points,
    count(name, dimensions = {}, value = 1) {
      points.push({ name, dimensions, value });
    },
  };
}
