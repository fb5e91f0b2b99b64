import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { round } from './stats.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Bytes a package (or a folder of this repository) adds to a minified bundle. */
export interface Contributor {
  readonly name: string;
  readonly kb: number;
}

function owner(path: string): string {
  const parts = path.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return parts.slice(0, 2).join('/');
  return parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? path);
}

/**
 * What a group's bundle is made of: esbuild with the options of
 * infra/constructs/handler-function.ts (ESM, node22, minified, SDK bundled, the same main
 * fields and banner), in memory, with a metafile.
 */
export async function composition(group: string, top = 8): Promise<{ bytes: number; contributors: Contributor[] }> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [`functions/handlers/${group}.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    write: false,
    metafile: true,
    outfile: 'index.mjs',
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  if (!output) throw new Error('esbuild produced no output');
  const byOwner = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) byOwner.set(owner(path), (byOwner.get(owner(path)) ?? 0) + input.bytesInOutput);
  const contributors = [...byOwner]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => ({ name, kb: round(bytes / 1024, 1) }));
  return { bytes: output.bytes, contributors };
}
