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
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** Lines go straight to stdout: EMF must be a bare JSON line, without Lambda's console prefix. */
export function emfMetrics(stage: string, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Metrics {
  return {
    count(name, dimensions = {}, value = 1) {
      const extra = Object.keys(dimensions);
      write(
        JSON.stringify({
          _aws: {
            Timestamp: Date.now(),
            CloudWatchMetrics: [
              {
                Namespace: METRIC_NAMESPACE,
                Dimensions: extra.length > 0 ? [['Stage'], ['Stage', ...extra]] : [['Stage']],
                Metrics: [{ Name: name, Unit: 'Count' }],
              },
            ],
          },
          ...dimensions,
          Stage: stage,
          [name]: value,
        }),
      );
    },
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
