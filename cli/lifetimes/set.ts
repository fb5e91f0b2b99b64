import { settleParameters, snapshotOf } from '../../functions/lifetimes/config.ts';
import { checkEntry } from '../../functions/lifetimes/guardrails.ts';
import type { ScopeRef } from '../../functions/lifetimes/parameters.ts';
import { resolveLifetimes, type ResolveContext } from '../../functions/lifetimes/resolver.ts';
import { EXIT, UsageError } from '../io.ts';
import { loadParameters, printJson, relativeIn, scopeOf, type Command } from './context.ts';
import { putValue } from './ssm.ts';

/** The outcome of proposing one value against the current raw configuration. */
export type Verdict = { readonly accepted: true } | { readonly accepted: false; readonly reasons: readonly string[] };

/**
 * Would the service accept `relative = value` on top of `current`? Answered by the service's
 * own settlement: the configuration as it stands is settled first (what the functions hold),
 * then the proposed one on top of it; the value is refused if the second settlement rejects
 * the name, for its own sake (limits, type, scope) or because it breaks a cross rule in any
 * scope (an absolute lifetime below its idle one, globally or for a client that inherits it).
 */
export function judge(current: ReadonlyMap<string, string>, relative: string, value: string): Verdict {
  const entry = checkEntry(relative, value);
  if (!entry.ok) return { accepted: false, reasons: [entry.reason] };
  const before = settleParameters(current, new Map());
  const proposed = new Map(current).set(relative, value);
  const after = settleParameters(proposed, before.accepted);
  const reasons = after.rejections.filter((rejection) => rejection.name === relative).map((rejection) => rejection.reason);
  return reasons.length === 0 ? { accepted: true } : { accepted: false, reasons: [...new Set(reasons)] };
}

function contextOf(scope: ScopeRef): ResolveContext {
  if (scope.scope === 'client') return { clientId: scope.id };
  if (scope.scope === 'audience') return { audience: scope.id };
  if (scope.scope === 'profile') return { profile: scope.id };
  return {};
}

/**
 * `set <name> <value>`: refuses, without writing, anything the service would reject; otherwise
 * writes the String parameter and shows the warnings the new value raises.
 */
export const set: Command = async ({ args, ssm, output, now }) => {
  const [name, value] = args.operands;
  if (name === undefined || value === undefined) throw new UsageError('set takes a parameter name and a value: set <name> <value>');
  if (name.includes('/')) throw new UsageError('give the bare parameter name; choose an override with --client, --audience or --profile');
  // parseCommandLine refuses set with --file, so the stage is there.
  const stage = args.stage ?? '';
  const scope = scopeOf(args);
  const relative = relativeIn(name, scope);

  const current = await loadParameters({ args, ssm });
  const verdict = judge(current, relative, value);
  if (!verdict.accepted) {
    if (args.json) printJson(output, { name: relative, value, written: false, reasons: verdict.reasons });
    else for (const reason of verdict.reasons) output.err(`refused: ${relative} = ${JSON.stringify(value)}: ${reason}`);
    return EXIT.failed;
  }

  const path = await putValue(ssm, stage, relative, value);
  const settled = settleParameters(new Map(current).set(relative, value), new Map());
  const warnings = resolveLifetimes(snapshotOf(settled, now()), contextOf(scope)).warnings.filter((warning) => warning.parameter === name);
  if (args.json) {
    printJson(output, { name: relative, path, value, written: true, warnings });
  } else {
    output.out(`${path} = ${value} (the functions pick it up within 30 s, no deploy needed)`);
    for (const warning of warnings) output.err(`warning ${warning.code}: ${warning.message}`);
  }
  return EXIT.ok;
};
