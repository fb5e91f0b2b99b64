import { parseArgs } from 'node:util';
import { UsageError } from './io.ts';

/** The text of `lifespan --help`. */
export const USAGE = `Usage: lifespan lifetimes <command> --stage <stage> [options]

Reads and writes the lifetime parameters under /lifespan/<stage>/ in SSM Parameter Store,
with the same guardrails as the service.

Commands:
  get [<name>]          Values set in SSM (as stored) and whether the service accepts them.
                        Without --client/--audience: every parameter of the stage.
  set <name> <value>    Check a value against the guardrails and the current configuration,
                        then write it (global, or the override of --client or --audience).
  lint                  Check the whole stage: errors (values the service rejects) and
                        best-practice warnings. Exits 1 when there are errors.
  explain               Effective value and source of every parameter for a client and/or
                        audience (and client type), with warnings.

Options:
  --stage <stage>       Required: the deployment stage (the stack's -c stage).
  --client <id>         Client override (get, set) or the client to explain.
  --audience <id>       Audience override (get, set) or the audience to explain.
  --client-type <type>  public or confidential (explain).
  --region <region>     AWS region (default: the AWS SDK's, e.g. AWS_REGION or the profile's).
  --json                Machine-readable output on stdout.
  -h, --help            This help.

Exit codes: 0 ok, 1 lint errors or value refused, 2 usage error, 3 SSM unreachable or denied.
Credentials come from the usual AWS SDK chain (AWS_PROFILE, environment, SSO…).`;

/** The subcommands of `lifespan lifetimes`. */
export type LifetimesCommand = 'get' | 'set' | 'lint' | 'explain';
const COMMANDS: readonly LifetimesCommand[] = ['get', 'set', 'lint', 'explain'];

/** A `lifespan lifetimes …` command line, checked for its command's shape. */
export interface LifetimesArgs {
  readonly kind: 'lifetimes';
  readonly command: LifetimesCommand;
  readonly stage: string;
  readonly clientId?: string;
  readonly audience?: string;
  readonly clientType?: 'public' | 'confidential';
  readonly region?: string;
  readonly json: boolean;
  /** Arguments after the command: `[name]` for get, `[name, value]` for set. */
  readonly operands: readonly string[];
}

/** What the command line asks for: help, or a lifetimes command. */
export type ParsedArgs = { readonly kind: 'help' } | LifetimesArgs;

// parseArgs takes "-5" for an option. A negative value is still a value (which the guardrails
// refuse with exit 1, like any bad value), so it is shielded from the option parser. So is
// whatever follows an option that takes a value: client ids are base64url and may start
// with "-", and `--client -Xy…` must mean that client, not a parse error.
const NEGATIVE_NUMBER = /^-\d/;
const VALUE_OPTIONS = new Set(['--stage', '--client', '--audience', '--client-type', '--region']);
const SHIELD = '\u0000';
const unshield = (arg: string) => (arg.startsWith(SHIELD) ? arg.slice(SHIELD.length) : arg);
const shield = (arg: string, index: number, argv: readonly string[]) =>
  NEGATIVE_NUMBER.test(arg) || (arg.startsWith('-') && VALUE_OPTIONS.has(argv[index - 1] ?? '')) ? SHIELD + arg : arg;

/**
 * Parses `lifespan …` arguments (without `node` and the script).
 *
 * @throws UsageError for anything the command does not accept.
 */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.map(shield),
      allowPositionals: true,
      strict: true,
      options: {
        stage: { type: 'string' },
        client: { type: 'string' },
        audience: { type: 'string' },
        'client-type': { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values = Object.fromEntries(
    Object.entries(parsed.values).map(([name, value]) => [name, typeof value === 'string' ? unshield(value) : value]),
  ) as typeof parsed.values;
  const [group, command, ...operands] = parsed.positionals.map(unshield);
  if (values.help || group === 'help') return { kind: 'help' };
  if (group === undefined) throw new UsageError('a command is required');
  if (group !== 'lifetimes') throw new UsageError(`unknown command ${JSON.stringify(group)}`);
  if (command === undefined) throw new UsageError('lifetimes needs a command: get, set, lint or explain');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown lifetimes command ${JSON.stringify(command)}`);
  const lifetimesCommand = command as LifetimesCommand;
  if (values.stage === undefined || values.stage === '') throw new UsageError('--stage is required');

  const clientType = values['client-type'];
  if (clientType !== undefined && clientType !== 'public' && clientType !== 'confidential') {
    throw new UsageError('--client-type must be public or confidential');
  }
  const args: LifetimesArgs = {
    kind: 'lifetimes',
    command: lifetimesCommand,
    stage: values.stage,
    json: values.json,
    operands,
    ...(values.client !== undefined && { clientId: values.client }),
    ...(values.audience !== undefined && { audience: values.audience }),
    ...(clientType !== undefined && { clientType }),
    ...(values.region !== undefined && { region: values.region }),
  };
  checkShape(args);
  return args;
}

const OPERANDS: Readonly<Record<LifetimesCommand, readonly [number, number, string]>> = {
  get: [0, 1, 'get takes at most one parameter name'],
  set: [2, 2, 'set takes a parameter name and a value: set <name> <value>'],
  lint: [0, 0, 'lint takes no arguments'],
  explain: [0, 0, 'explain takes no arguments (use --client, --audience, --client-type)'],
};

function checkShape(args: LifetimesArgs): void {
  const [min, max, message] = OPERANDS[args.command];
  if (args.operands.length < min || args.operands.length > max) throw new UsageError(message);
  const scoped = args.command === 'get' || args.command === 'set';
  if (scoped && args.clientId !== undefined && args.audience !== undefined) {
    throw new UsageError(`${args.command} works on one scope: give --client or --audience, not both`);
  }
  if (args.command === 'lint' && (args.clientId !== undefined || args.audience !== undefined)) {
    throw new UsageError('lint checks the whole stage: --client and --audience are for get, set and explain');
  }
  if (args.command !== 'explain' && args.clientType !== undefined) throw new UsageError('--client-type is for explain only');
}
