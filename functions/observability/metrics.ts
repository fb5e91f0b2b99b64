/**
 * Counters published as CloudWatch Embedded Metric Format: one JSON log line per data point,
 * which CloudWatch turns into a metric without an API call from the function.
 */
export interface Metrics {
  count(name: string, dimensions?: Record<string, string>, value?: number): void;
}

export const METRIC_NAMESPACE = 'Lifespan';

/** Lines go straight to stdout: EMF must be a bare JSON line, without Lambda's console prefix. */
export function emfMetrics(stage: string, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Metrics {
  return {
    count(name, dimensions = {}, value = 1) {
      const all = { Stage: stage, ...dimensions };
      write(
        JSON.stringify({
          _aws: {
            Timestamp: Date.now(),
            CloudWatchMetrics: [
              { Namespace: METRIC_NAMESPACE, Dimensions: [Object.keys(all)], Metrics: [{ Name: name, Unit: 'Count' }] },
            ],
          },
          ...all,
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
