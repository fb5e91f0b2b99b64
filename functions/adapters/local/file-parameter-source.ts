import { readFile, stat } from 'node:fs/promises';
import type { ParameterSource } from '../../lifetimes/source.ts';

export interface FileParameterSourceOptions {
  /** Path of the JSON parameters file. A missing file means no parameters are set. */
  readonly path: string;
}

interface Fingerprint {
  readonly mtimeNs: bigint;
  readonly size: bigint;
  readonly ino: bigint;
}

/**
 * Local stand-in for SSM: the same relative names, from a JSON file, either flat
 * (`{"clients/web/access_token_ttl": 300}`) or nested (`{"clients": {"web": {"access_token_ttl": 300}}}`),
 * or a mix. JSON numbers and booleans are handed on as their string form, so the guardrails
 * judge them exactly as they would an SSM value.
 *
 * The file is parsed again only when it changed (modification time, size, inode). A file that
 * is not valid JSON makes `load()` reject until it changes, so the configuration store keeps
 * the last valid configuration and logs the error instead of the service crashing.
 *
 * @example
 * const source = new FileParameterSource({ path: '.lifespan/parameters.json' });
 */
export class FileParameterSource implements ParameterSource {
  readonly #path: string;
  #fingerprint: Fingerprint | undefined;
  #parsed: Map<string, string> | Error = new Map();

  constructor(options: FileParameterSourceOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('options.path must be a file path');
    this.#path = options.path;
  }

  async load(): Promise<Map<string, string>> {
    const info = await stat(this.#path, { bigint: true }).catch(absentAsUndefined);
    if (info === undefined) {
      this.#fingerprint = undefined;
      return new Map();
    }
    const fingerprint = { mtimeNs: info.mtimeNs, size: info.size, ino: info.ino };
    if (!sameFile(fingerprint, this.#fingerprint)) {
      const text = await readFile(this.#path, 'utf8').catch(absentAsUndefined);
      if (text === undefined) return new Map();
      this.#parsed = parseParametersFile(text, this.#path);
      this.#fingerprint = fingerprint;
    }
    if (this.#parsed instanceof Error) throw this.#parsed;
    return new Map(this.#parsed);
  }
}

/**
 * Flattens the parameters file into raw values by relative name, or returns the reason it
 * cannot: not JSON, not an object, or one name given twice (flat and nested).
 */
export function parseParametersFile(text: string, path: string): Map<string, string> | Error {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return new Error(`parameters file ${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!isObject(document)) return new Error(`parameters file ${path} must hold a JSON object`);
  const values = new Map<string, string>();
  const pending: Array<[string, Record<string, unknown>]> = [['', document]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [prefix, object] = next;
    for (const [key, value] of Object.entries(object)) {
      const name = prefix + key;
      if (isObject(value)) {
        pending.push([`${name}/`, value]);
        continue;
      }
      if (values.has(name)) return new Error(`parameters file ${path} sets ${name} twice`);
      values.set(name, rawString(value));
    }
  }
  return values;
}

function rawString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // null or an array: kept visible so the guardrails reject it by name.
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameFile(a: Fingerprint, b: Fingerprint | undefined): boolean {
  return b !== undefined && a.mtimeNs === b.mtimeNs && a.size === b.size && a.ino === b.ino;
}

function absentAsUndefined(error: unknown): undefined {
  if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
  throw error;
}
