import type { LineSink } from '../../functions/observability/logger.ts';

/** Every log and metric line the handlers of this test file wrote, in order. */
export const output: string[] = [];
let sinceTestStart: string[] = [];

/**
 * Where handlers under test write their JSON lines instead of stdout: a passing run prints
 * nothing, a test can assert on what was logged, and a failing test shows its own lines
 * (test/support/quiet-output.ts prints them).
 */
export const collectLines: LineSink = (line) => {
  output.push(line);
  sinceTestStart.push(line);
};

/** The lines written since the current test started, and a fresh start for the next. */
export function takeTestLines(): string[] {
  const lines = sinceTestStart;
  sinceTestStart = [];
  return lines;
}

/** The lines parsed, for assertions. */
export function records(lines: readonly string[] = output): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}
