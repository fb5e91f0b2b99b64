/** Where a command writes. Tests capture it; the entry point passes the process streams. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes of every `lifespan` command. */
export const EXIT = {
  ok: 0,
  /** `lint` found errors, or `set` refused a value. */
  failed: 1,
  usage: 2,
  /** SSM could not be read or written (credentials, permissions, network, throttling). */
  unavailable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The parameters could not be read or written (SSM, or the local file): exit code 3. */
export class SourceUnavailableError extends Error {
  override readonly name: string = 'SourceUnavailableError';
}

/** A mistake in the command line; printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
