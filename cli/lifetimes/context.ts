import type { LifetimesArgs } from '../args.ts';
import { UsageError, type ExitCode, type Output } from '../io.ts';
import { parameterPrefix, relativeName, type ScopeRef } from '../../functions/lifetimes/parameters.ts';
import type { LifetimesSsmClient } from './ssm.ts';

/** What every lifetimes command gets: its arguments, the SSM client, where to write, a clock. */
export interface CommandContext {
  readonly args: LifetimesArgs;
  readonly ssm: LifetimesSsmClient;
  readonly output: Output;
  /** Epoch milliseconds; only stamps snapshots. */
  readonly now: () => number;
}

export type Command = (context: CommandContext) => Promise<ExitCode>;

/** The override scope `--client` / `--audience` select (global without either). */
export function scopeOf(args: LifetimesArgs): ScopeRef {
  if (args.clientId !== undefined) return { scope: 'client', id: args.clientId };
  if (args.audience !== undefined) return { scope: 'audience', id: args.audience };
  return { scope: 'global' };
}

/** `relativeName`, with an id SSM cannot hold reported as a usage error. */
export function relativeIn(parameter: string, scope: ScopeRef): string {
  try {
    return relativeName(parameter, scope);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Checks the stage can name an SSM path before anything is sent. */
export function checkStage(stage: string): void {
  try {
    parameterPrefix(stage);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Pretty JSON, one document per command. */
export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}
