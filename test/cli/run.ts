import { main } from '../../cli/main.ts';
import type { ExitCode } from '../../cli/io.ts';
import { FakeSsm } from '../support/fake-ssm.ts';

export interface Run {
  readonly code: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
  readonly ssm: FakeSsm;
}

/** Runs `lifespan <argv…>` against a fake SSM, capturing both streams. */
export async function run(argv: readonly string[], ssm: FakeSsm = new FakeSsm()): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    output: { out: (text) => out.push(text), err: (text) => err.push(text) },
    ssm: () => ssm,
    now: () => 0,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), ssm };
}

/** The stage's values as `/lifespan/test/<relative>` entries. */
export function stageValues(values: Record<string, string>, stage = 'test'): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([relative, value]) => [`/lifespan/${stage}/${relative}`, value]));
}
