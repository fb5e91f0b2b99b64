import { parseCommandLine, USAGE, type LifetimesCommand } from './args.ts';
import { EXIT, SourceUnavailableError, UsageError, type ExitCode, type Output } from './io.ts';
import { checkStage, type Command } from './lifetimes/context.ts';
import { explain } from './lifetimes/explain.ts';
import { get } from './lifetimes/get.ts';
import { lintCommand } from './lifetimes/lint.ts';
import { set } from './lifetimes/set.ts';
import type { LifetimesSsmClient } from './lifetimes/ssm.ts';

const COMMANDS: Readonly<Record<LifetimesCommand, Command>> = { get, set, lint: lintCommand, explain };

export interface MainDependencies {
  readonly output: Output;
  /** Builds the SSM client, only once a command needs one. */
  readonly ssm: (options: { readonly region?: string }) => LifetimesSsmClient;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Runs `lifespan <argv…>` and returns the exit code; never throws for the operator's mistakes
 * or SSM's failures, which are printed.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), { output, ssm: ({ region }) => new SSMClient({ region }) });
 */
export async function main(argv: readonly string[], dependencies: MainDependencies): Promise<ExitCode> {
  const { output } = dependencies;
  try {
    const args = parseCommandLine(argv);
    if (args.kind === 'help') {
      output.out(USAGE);
      return EXIT.ok;
    }
    if (args.stage !== undefined) checkStage(args.stage);
    const ssm = dependencies.ssm(args.region !== undefined ? { region: args.region } : {});
    return await COMMANDS[args.command]({ args, ssm, output, now: dependencies.now ?? Date.now });
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`lifespan: ${error.message}\nRun 'npx lifespan --help' for usage.`);
      return EXIT.usage;
    }
    if (error instanceof SourceUnavailableError) {
      output.err(`lifespan: ${error.message}`);
      return EXIT.unavailable;
    }
    throw error;
  }
}
