import { settleParameters, snapshotOf, type LifetimeSnapshot } from '../../functions/lifetimes/config.ts';
import { PARAMETER_NAMES, definitionOf } from '../../functions/lifetimes/parameters.ts';
import { lifetimesPage, type PictureView } from '../../functions/lifetimes/picture.ts';
import { resolveLifetimes, type ResolveContext, type ResolvedValue } from '../../functions/lifetimes/resolver.ts';
import type { LifetimesArgs } from '../args.ts';
import { seconds, table } from '../format.ts';
import { EXIT, type ExitCode, type Output } from '../io.ts';
import { loadParameters, printJson, whereFrom, type Command } from './context.ts';

function describeContext(context: ResolveContext): string {
  const parts = [
    context.clientId !== undefined ? `client ${context.clientId}` : undefined,
    context.clientType !== undefined ? `(${context.clientType})` : undefined,
    context.audience !== undefined ? `audience ${context.audience}` : undefined,
    context.profile !== undefined ? `lifetime profile ${context.profile}` : undefined,
  ].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(' ') : 'the global configuration';
}

function sourceText(resolved: ResolvedValue<unknown>): string {
  if (resolved.rejected === undefined) return resolved.source;
  const { name, value, reason } = resolved.rejected;
  return `${resolved.source}: ${name} = ${value === undefined ? '(removed)' : JSON.stringify(value)} rejected: ${reason}`;
}

/** A profile the configuration does not name: a login naming it is refused, so there is nothing to explain. */
function unknownProfiles(snapshot: LifetimeSnapshot, args: LifetimesArgs, output: Output): ExitCode | undefined {
  const unknown = args.profiles.filter((profile) => !snapshot.profileNames.has(profile));
  if (unknown.length === 0) return undefined;
  for (const profile of unknown) output.err(`lifespan: no lifetime profile ${profile} in ${whereFrom(args)} (nothing is set under profiles/${profile}/)`);
  return EXIT.failed;
}

/**
 * The views of `--html`: each client given (the global view and every client with overrides
 * when none is), each under no profile and under each profile given (every configured one when
 * none is).
 */
function pictureViews(snapshot: LifetimeSnapshot, args: LifetimesArgs): PictureView[] {
  const clients: Array<string | undefined> = args.clientIds.length > 0 ? [...args.clientIds] : [undefined, ...[...snapshot.clients.keys()].sort()];
  const profiles: Array<string | undefined> = [undefined, ...(args.profiles.length > 0 ? args.profiles : [...snapshot.profileNames].sort())];
  return clients.flatMap((clientId) =>
    profiles.map((profile) => ({
      ...(clientId !== undefined && { clientId }),
      ...(args.clientType !== undefined && { clientType: args.clientType }),
      ...(args.audience !== undefined && { audience: args.audience }),
      ...(profile !== undefined && { profile }),
    })),
  );
}

/**
 * `explain`: every parameter's effective value and where it comes from, as `resolveLifetimes`
 * computes it for the service. `--json` prints exactly that result; `--html` the picture.
 */
export const explain: Command = async ({ args, ssm, output, now }) => {
  const context: ResolveContext = {
    ...(args.clientId !== undefined && { clientId: args.clientId }),
    ...(args.audience !== undefined && { audience: args.audience }),
    ...(args.clientType !== undefined && { clientType: args.clientType }),
    ...(args.profile !== undefined && { profile: args.profile }),
  };
  const raw = await loadParameters({ args, ssm });
  const snapshot = snapshotOf(settleParameters(raw, new Map()), now());
  const refused = unknownProfiles(snapshot, args, output);
  if (refused !== undefined) return refused;
  if (args.html) {
    output.out(lifetimesPage(snapshot, pictureViews(snapshot, args), { source: whereFrom(args) }));
    return EXIT.ok;
  }
  const resolved = resolveLifetimes(snapshot, context);
  if (args.json) {
    printJson(output, resolved);
    return EXIT.ok;
  }
  output.out(`Lifetimes for ${describeContext(context)} in ${whereFrom(args)}\n`);
  output.out(
    table([
      ['PARAMETER', 'VALUE', 'SOURCE'],
      ...PARAMETER_NAMES.map((name) => {
        const entry: ResolvedValue<unknown> = resolved[name];
        const value = definitionOf(name).kind === 'seconds' && typeof entry.value === 'number' ? seconds(entry.value) : String(entry.value);
        return [name, value, sourceText(entry)];
      }),
    ]),
  );
  if (resolved.warnings.length > 0) {
    output.out('\nWarnings:');
    for (const warning of resolved.warnings) output.out(`  ${warning.code}: ${warning.message}`);
  }
  return EXIT.ok;
};
