import { stat } from 'node:fs/promises';
import type { LifetimesArgs } from '../args.ts';
import { SourceUnavailableError, UsageError, type ExitCode, type Output } from '../io.ts';
import { FileParameterSource } from '../../functions/adapters/local/file-parameter-source.ts';
import { parameterPrefix, relativeName, type ScopeRef } from '../../functions/lifetimes/parameters.ts';
import { loadRaw, type LifetimesSsmClient } from './ssm.ts';

/** What every lifetimes command gets: its arguments, the SSM client, where to write, a clock. */
export interface CommandContext {
  readonly args: LifetimesArgs;
  readonly ssm: LifetimesSsmClient;
  readonly output: Output;
  /** Epoch milliseconds; only stamps snapshots. */
  readonly now: () => number;
}

export type Command = (context: CommandContext) => Promise<ExitCode>;

/** The override scope `--client` / `--audience` / `--profile` select (global without any). */
export function scopeOf(args: LifetimesArgs): ScopeRef {
  if (args.clientId !== undefined) return { scope: 'client', id: args.clientId };
  if (args.audience !== undefined) return { scope: 'audience', id: args.audience };
  if (args.profile !== undefined) return { scope: 'profile', id: args.profile };
  return { scope: 'global' };
}

/** Where the parameters come from, for messages: `/lifespan/<stage>/` or the file. */
export function whereFrom(args: LifetimesArgs): string {
  return args.file ?? `/lifespan/${args.stage ?? ''}/`;
}

/**
 * Every raw value by relative name: from SSM (as the functions read it) or, with `--file`, from
 * the local parameters file (as the local server reads it: flat or nested). A file that is
 * missing or not valid JSON is reported, not taken for an empty configuration.
 */
export async function loadParameters(context: Pick<CommandContext, 'args' | 'ssm'>): Promise<Map<string, string>> {
  const { args } = context;
  if (args.file === undefined) return loadRaw(context.ssm, args.stage ?? '');
  const path = args.file;
  try {
    await stat(path);
    return await new FileParameterSource({ path }).load();
  } catch (error) {
    throw new SourceUnavailableError(`could not read ${path} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
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
