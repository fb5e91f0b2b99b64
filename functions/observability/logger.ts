import { currentRequestContext } from './request-context.ts';

/** Structured JSON logs: one line per event, never a secret or a token. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

type Level = 'info' | 'warn' | 'error';

/** Where log and metric lines go: one JSON document per call, without its newline. */
export type LineSink = (line: string) => void;

/**
 * Straight to stdout, not through `console`: Lambda's patched console prefixes each line with
 * a timestamp and request id, which would stop CloudWatch from reading the line as JSON.
 */
export const stdoutLines: LineSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * JSON lines, each with the current request's id (and trace id) when written during a request.
 * `write` is stdout in Lambda; tests and the local server's callers may collect the lines.
 */
export function jsonLogger(write: LineSink = stdoutLines): Logger {
  const log = (level: Level) => (event: string, fields?: Record<string, unknown>) => {
    write(JSON.stringify({ level, event, time: new Date().toISOString(), ...currentRequestContext(), ...fields }));
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

/** A logger that keeps its lines, for tests. */
export function memoryLogger(): Logger & { lines: Array<{ level: Level; event: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ level: Level; event: string; fields: Record<string, unknown> }> = [];
  const push = (level: Level) => (event: string, fields: Record<string, unknown> = {}) => {
    lines.push({ level, event, fields });
  };
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}
