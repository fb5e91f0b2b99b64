import { settleParameters, snapshotOf, type LifetimeSnapshot } from '../../functions/lifetimes/config.ts';
import type { LifetimeWarning } from '../../functions/lifetimes/guardrails.ts';
import { profileWarnings, type ProfileWarning } from '../../functions/lifetimes/profiles.ts';
import type { LifetimeValues } from '../../functions/lifetimes/parameters.ts';
import { resolveLifetimes } from '../../functions/lifetimes/resolver.ts';
import { EXIT } from '../io.ts';
import { loadParameters, printJson, whereFrom, type Command } from './context.ts';

/** A value the service rejects. */
export interface LintError {
  readonly name: string;
  readonly value: string | null;
  readonly reason: string;
}

/**
 * A best-practice warning, with the scope whose values raise it (`global`, `clients/<id>`,
 * `audiences/<id>`), or a lifetime profile's (`profiles/<profile>`: one no login can choose, a
 * value no login reaches, a profile that tightens nothing).
 */
export type LintWarning = (LifetimeWarning | ProfileWarning) & { readonly scope: string };

export interface LintReport {
  readonly errors: readonly LintError[];
  readonly warnings: readonly LintWarning[];
}

/**
 * Lints raw parameters: every rejection the service's settlement makes, and the warnings of the
 * global view and of every overridden client and audience. An override scope only reports the
 * warnings its own overrides cause; inherited ones are reported once, globally. Then what is
 * wrong with each lifetime profile (functions/lifetimes/profiles.ts); a profile only tightens,
 * so it raises none of the others.
 */
export function lint(raw: ReadonlyMap<string, string>, now: number): LintReport {
  const settlement = settleParameters(raw, new Map());
  const seen = new Set<string>();
  const errors: LintError[] = [];
  for (const { name, raw: value, reason } of settlement.rejections) {
    const key = `${name}\u0000${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ name, value: value ?? null, reason });
  }

  const snapshot: LifetimeSnapshot = snapshotOf(settlement, now);
  const warnings: LintWarning[] = resolveLifetimes(snapshot).warnings.map((warning) => ({ ...warning, scope: 'global' }));
  const own = (overrides: Readonly<Partial<LifetimeValues>>, warning: LifetimeWarning) => overrides[warning.parameter] !== undefined;
  for (const [clientId, overrides] of snapshot.clients) {
    for (const warning of resolveLifetimes(snapshot, { clientId }).warnings) {
      if (own(overrides, warning)) warnings.push({ ...warning, scope: `clients/${clientId}` });
    }
  }
  for (const [audience, overrides] of snapshot.audiences) {
    for (const warning of resolveLifetimes(snapshot, { audience }).warnings) {
      if (own(overrides, warning)) warnings.push({ ...warning, scope: `audiences/${audience}` });
    }
  }
  for (const warning of profileWarnings(snapshot)) warnings.push({ ...warning, scope: `profiles/${warning.profile}` });
  return { errors, warnings };
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `lint`: errors and warnings of the whole stage; exit 1 when there is any error. */
export const lintCommand: Command = async ({ args, ssm, output, now }) => {
  const report = lint(await loadParameters({ args, ssm }), now());
  if (args.json) {
    printJson(output, { ...(args.stage !== undefined ? { stage: args.stage } : { file: args.file }), ...report });
  } else {
    for (const error of report.errors) {
      const shown = error.value === null ? 'removed' : JSON.stringify(error.value);
      output.out(`error    ${error.name} = ${shown}: ${error.reason}`);
    }
    for (const warning of report.warnings) output.out(`warning  ${warning.scope}: ${warning.code}: ${warning.message}`);
    output.out(`${plural(report.errors.length, 'error')}, ${plural(report.warnings.length, 'warning')} in ${whereFrom(args)}`);
  }
  return report.errors.length > 0 ? EXIT.failed : EXIT.ok;
};
