import { settleParameters, snapshotOf } from '../../functions/lifetimes/config.ts';
import { PARAMETER_NAMES, definitionOf } from '../../functions/lifetimes/parameters.ts';
import { resolveLifetimes, type ResolveContext, type ResolvedValue } from '../../functions/lifetimes/resolver.ts';
import { seconds, table } from '../format.ts';
import { EXIT } from '../io.ts';
import { printJson, type Command } from './context.ts';
import { loadRaw } from './ssm.ts';

function describeContext(context: ResolveContext): string {
  const parts = [
    context.clientId !== undefined ? `client ${context.clientId}` : undefined,
    context.clientType !== undefined ? `(${context.clientType})` : undefined,
    context.audience !== undefined ? `audience ${context.audience}` : undefined,
  ].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(' ') : 'the global configuration';
}

function sourceText(resolved: ResolvedValue<unknown>): string {
  if (resolved.rejected === undefined) return resolved.source;
  const { name, value, reason } = resolved.rejected;
  return `${resolved.source}: ${name} = ${value === undefined ? '(removed)' : JSON.stringify(value)} rejected: ${reason}`;
}

/**
 * `explain`: every parameter's effective value and where it comes from, as `resolveLifetimes`
 * computes it for the service. `--json` prints exactly that result.
 */
export const explain: Command = async ({ args, ssm, output, now }) => {
  const context: ResolveContext = {
    ...(args.clientId !== undefined && { clientId: args.clientId }),
    ...(args.audience !== undefined && { audience: args.audience }),
    ...(args.clientType !== undefined && { clientType: args.clientType }),
  };
  const raw = await loadRaw(ssm, args.stage);
  const resolved = resolveLifetimes(snapshotOf(settleParameters(raw, new Map()), now()), context);
  if (args.json) {
    printJson(output, resolved);
    return EXIT.ok;
  }
  output.out(`Lifetimes for ${describeContext(context)} in /lifespan/${args.stage}/\n`);
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
