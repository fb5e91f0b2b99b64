/** Structured JSON logs: one line per event, never a secret or a token. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

type Level = 'info' | 'warn' | 'error';

/**
 * Straight to stdout, not through `console`: Lambda's patched console prefixes each line with
 * a timestamp and request id, which would stop CloudWatch from reading the line as JSON.
 */
function write(level: Level, event: string, fields: Record<string, unknown> | undefined): void {
  process.stdout.write(`${JSON.stringify({ level, event, time: new Date().toISOString(), ...fields })}\n`);
}

export const jsonLogger: Logger = {
  info: (event, fields) => write('info', event, fields),
  warn: (event, fields) => write('warn', event, fields),
  error: (event, fields) => write('error', event, fields),
};

/** A logger that keeps its lines, for tests. */
export function memoryLogger(): Logger & { lines: Array<{ level: Level; event: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ level: Level; event: string; fields: Record<string, unknown> }> = [];
  const push = (level: Level) => (event: string, fields: Record<string, unknown> = {}) => {
    lines.push({ level, event, fields });
  };
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}
