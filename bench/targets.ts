import type { BundleRow } from './bundles.ts';
import type { CallsRow } from './calls.ts';
import { CONFIG, TARGETS } from './config.ts';
import type { Results, TargetCheck } from './report.ts';

/** The targets of issue 6, each with the value this run measured. */
export function checkTargets(ratios: Results['ratios'], calls: readonly CallsRow[], bundles: readonly BundleRow[]): TargetCheck[] {
  const targets: TargetCheck[] = [];
  for (const concurrency of CONFIG.concurrencies) {
    const entry = ratios.find((ratio) => ratio.grant === 'refresh_token' && ratio.concurrency === concurrency);
    if (!entry) throw new Error(`no refresh ratio at c=${concurrency}`);
    targets.push({
      name: `refresh ratio c=${concurrency}`,
      target: `≥ ${TARGETS.refreshFloorRatio.toFixed(2)}`,
      value: entry.ratio.toFixed(2),
      met: entry.ratio >= TARGETS.refreshFloorRatio,
    });
  }
  const refresh = calls.find((row) => row.operation.startsWith('refresh_token'));
  if (!refresh) throw new Error('no call count for the refresh');
  targets.push({
    name: 'refresh calls',
    target: `= ${TARGETS.refreshCalls} (GetItem → BatchGetItem → UpdateItem: one write, last)`,
    value: `${refresh.calls} (${refresh.commands.join(' → ')})`,
    met: refresh.calls === TARGETS.refreshCalls && refresh.commands.join() === 'GetItem,BatchGetItem,UpdateItem',
  });
  const token = bundles.find((row) => row.group === 'token');
  if (!token) throw new Error('no token bundle');
  targets.push({
    name: 'token bundle',
    target: `≤ ${TARGETS.tokenBundleBytes / 1024} KB`,
    value: `${(token.bytes / 1024).toFixed(1)} KB`,
    met: token.bytes <= TARGETS.tokenBundleBytes,
  });
  targets.push({
    name: 'token cold import',
    target: `≤ ${TARGETS.tokenColdImportMs} ms, no network`,
    value: `${token.coldImportMs} ms, ${token.networkAttempts.length} connections`,
    met: token.coldImportMs <= TARGETS.tokenColdImportMs && token.networkAttempts.length === 0,
  });
  return targets;
}
