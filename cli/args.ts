import { parseArgs } from 'node:util';
import { UsageError } from './io.ts';

/** The text of `lifespan --help`. */
export const USAGE = `Usage: lifespan lifetimes <command> --stage <stage> [options]

Reads and writes the lifetime parameters under /lifespan/<stage>/ in SSM Parameter Store,
with the same guardrails as the service.

Commands:
  get [<name>]          Values set in SSM (as stored) and whether the service accepts them.
                        Without --client/--audience/--profile: every parameter of the stage.
  set <name> <value>    Check a value against the guardrails and the current configuration,
                        then write it (global, or the override of --client, --audience or
                        the lifetime profile --profile).
  lint                  Check the whole stage: errors (values the service rejects) and
                        best-practice warnings, lifetime profiles included. Exits 1 when there
                        are errors.
  explain               Effective value and source of every parameter for a client and/or
                        audience (and client type, and the login's lifetime profile), with
                        warnings. With --html: a self-contained page that draws them.

Options:
  --stage <stage>       Required (unless --file): the deployment stage (the stack's -c stage).
  --file <path>         Read the local parameters file instead of SSM (get, lint, explain).
  --client <id>         Client override (get, set) or the client to explain (repeatable with --html).
  --audience <id>       Audience override (get, set) or the audience to explain.
  --profile <name>      Lifetime profile (get, set) or the login's profile to explain
                        (repeatable with --html).
  --client-type <type>  public or confidential (explain).
  --html                explain: the page, on stdout (> lifetimes.html). Without --client: the
                        global view and every client with overrides; every profile, and none.
  --region <region>     AWS region (default: the AWS SDK's, e.g. AWS_REGION or the profile's).
  --json                Machine-readable output on stdout.
  -h, --help            This help.

Exit codes: 0 ok, 1 lint errors, value refused or unknown profile, 2 usage error,
3 SSM (or the file) unreachable, unreadable or denied.
Credentials come from the usual AWS SDK chain (AWS_PROFILE, environment, SSO…).`;

/** The subcommands of `lifespan lifetimes`. */
export type LifetimesCommand = 'get' | 'set' | 'lint' | 'explain';
const COMMANDS: readonly LifetimesCommand[] = ['get', 'set', 'lint', 'explain'];

/** A `lifespan lifetimes …` command line, checked for its command's shape. */
export interface LifetimesArgs {
  readonly kind: 'lifetimes';
  readonly command: LifetimesCommand;
  /** The SSM stage; absent only with {@link file}. */
  readonly stage?: string;
  /** The local parameters file to read instead of SSM. */
  readonly file?: string;
  /** The first `--client`. */
  readonly clientId?: string;
  /** Every `--client` (more than one only with `--html`). */
  readonly clientIds: readonly string[];
  readonly audience?: string;
  /** The first `--profile`. */
  readonly profile?: string;
  /** Every `--profile` (more than one only with `--html`). */
  readonly profiles: readonly string[];
  readonly clientType?: 'public' | 'confidential';
  readonly region?: string;
  readonly json: boolean;
  readonly html: boolean;
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
const VALUE_OPTIONS = new Set(['--stage', '--file', '--client', '--audience', '--profile', '--client-type', '--region']);
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
        file: { type: 'string' },
        client: { type: 'string', multiple: true },
        audience: { type: 'string' },
        profile: { type: 'string', multiple: true },
        'client-type': { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean', default: false },
        html: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values = Object.fromEntries(
    Object.entries(parsed.values).map(([name, value]) => [
      name,
      typeof value === 'string' ? unshield(value) : Array.isArray(value) ? value.map((one) => (typeof one === 'string' ? unshield(one) : one)) : value,
    ]),
  ) as typeof parsed.values;
  const [group, command, ...operands] = parsed.positionals.map(unshield);
  if (values.help || group === 'help') return { kind: 'help' };
  if (group === undefined) throw new UsageError('a command is required');
  if (group !== 'lifetimes') throw new UsageError(`unknown command ${JSON.stringify(group)}`);
  if (command === undefined) throw new UsageError('lifetimes needs a command: get, set, lint or explain');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown lifetimes command ${JSON.stringify(command)}`);
  const lifetimesCommand = command as LifetimesCommand;
  if (values.file === '') throw new UsageError('--file needs a path');
  if ((values.stage === undefined || values.stage === '') && values.file === undefined) throw new UsageError('--stage is required');

  const clientType = values['client-type'];
  if (clientType !== undefined && clientType !== 'public' && clientType !== 'confidential') {
    throw new UsageError('--client-type must be public or confidential');
  }
  const clientIds = values.client ?? [];
  const profiles = values.profile ?? [];
  const args: LifetimesArgs = {
    kind: 'lifetimes',
    command: lifetimesCommand,
    json: values.json,
    html: values.html,
    operands,
    clientIds,
    profiles,
    ...(values.stage !== undefined && values.stage !== '' && { stage: values.stage }),
    ...(values.file !== undefined && { file: values.file }),
    ...(clientIds[0] !== undefined && { clientId: clientIds[0] }),
    ...(values.audience !== undefined && { audience: values.audience }),
    ...(profiles[0] !== undefined && { profile: profiles[0] }),
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
  explain: [0, 0, 'explain takes no arguments (use --client, --audience, --client-type, --profile)'],
};

function checkShape(args: LifetimesArgs): void {
  const [min, max, message] = OPERANDS[args.command];
  if (args.operands.length < min || args.operands.length > max) throw new UsageError(message);
  const scoped = args.command === 'get' || args.command === 'set';
  const scopes = [args.clientId, args.audience, args.profile].filter((scope) => scope !== undefined).length;
  if (scoped && scopes > 1) {
    throw new UsageError(`${args.command} works on one scope: give one of --client, --audience and --profile`);
  }
  if (args.command === 'lint' && scopes > 0) {
    throw new UsageError('lint checks the whole stage: --client, --audience and --profile are for get, set and explain');
  }
  if (args.command !== 'explain' && args.clientType !== undefined) throw new UsageError('--client-type is for explain only');
  if (args.command !== 'explain' && args.html) throw new UsageError('--html is for explain only');
  if (args.html && args.json) throw new UsageError('give --html or --json, not both');
  if (!args.html && (args.clientIds.length > 1 || args.profiles.length > 1)) {
    throw new UsageError('--client and --profile may be given once (several only with --html)');
  }
  if (args.command === 'set' && args.file !== undefined) throw new UsageError('set writes SSM: edit the local parameters file itself');
  if (args.file !== undefined && args.stage !== undefined) throw new UsageError('give --stage (SSM) or --file (the local parameters file), not both');
  if (args.file !== undefined && args.region !== undefined) throw new UsageError('--region is for SSM, not --file');
}
