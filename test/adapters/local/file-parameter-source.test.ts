import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileParameterSource, parseParametersFile } from '../../../functions/adapters/local/file-parameter-source.ts';
import { ConfigurationUnavailableError, LifetimeConfigStore } from '../../../functions/lifetimes/config.ts';
import { memoryLogger } from '../../../functions/observability/logger.ts';
import { memoryMetrics } from '../../../functions/observability/metrics.ts';
import { lifetimesFromEnvironment } from '../../../functions/runtime/lifetimes.ts';

let directory: string;
let path: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'lifespan-parameters-'));
  path = join(directory, 'parameters.json');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Writes the file and pins its modification time, so tests decide what "changed" means. */
async function write(content: unknown, mtimeSeconds = 1_700_000_000): Promise<void> {
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  await utimes(path, mtimeSeconds, mtimeSeconds);
}

const entries = (values: Map<string, string>) => Object.fromEntries(values);

describe('FileParameterSource', () => {
  it('refuses a missing path with a TypeError', () => {
    expect(() => new FileParameterSource({ path: '' })).toThrow(TypeError);
  });

  it('treats a missing file as no parameters', async () => {
    const source = new FileParameterSource({ path });
    expect((await source.load()).size).toBe(0);
    await write({ access_token_ttl: 600 });
    expect(entries(await source.load())).toEqual({ access_token_ttl: '600' });
    await rm(path);
    expect((await source.load()).size).toBe(0);
  });

  it('reads the flat form, turning JSON numbers and booleans into their string form', async () => {
    await write({ access_token_ttl: 900, 'clients/web/access_token_ttl': 300, refresh_token_rotation: false, access_token_format: 'opaque' });
    expect(entries(await new FileParameterSource({ path }).load())).toEqual({
      access_token_ttl: '900',
      'clients/web/access_token_ttl': '300',
      refresh_token_rotation: 'false',
      access_token_format: 'opaque',
    });
  });

  it('reads the nested form, and a mix of both', async () => {
    await write({
      access_token_ttl: 900,
      clients: { web: { access_token_ttl: 300 }, spa: { access_token_ttl_browser: 120 } },
      audiences: { payments: { access_token_ttl: 60 } },
      'clients/cli/id_token_ttl': 120,
    });
    expect(entries(await new FileParameterSource({ path }).load())).toEqual({
      access_token_ttl: '900',
      'clients/web/access_token_ttl': '300',
      'clients/spa/access_token_ttl_browser': '120',
      'audiences/payments/access_token_ttl': '60',
      'clients/cli/id_token_ttl': '120',
    });
  });

  it('hands on odd values as text, for the guardrails to reject by name', () => {
    const parsed = parseParametersFile('{"access_token_ttl": 1.5, "id_token_ttl": null, "device_code_ttl": [300], "session_idle_ttl": "900s"}', 'p.json');
    expect(parsed instanceof Error ? parsed.message : entries(parsed)).toEqual({
      access_token_ttl: '1.5',
      id_token_ttl: 'null',
      device_code_ttl: '[300]',
      session_idle_ttl: '900s',
    });
  });

  it('re-reads the file only when it changed', async () => {
    const source = new FileParameterSource({ path });
    await write({ access_token_ttl: 600 }, 1_700_000_000);
    expect(entries(await source.load())).toEqual({ access_token_ttl: '600' });

    // Same size, same modification time: not read again.
    await write({ access_token_ttl: 700 }, 1_700_000_000);
    expect(entries(await source.load())).toEqual({ access_token_ttl: '600' });

    await write({ access_token_ttl: 700 }, 1_700_000_001);
    expect(entries(await source.load())).toEqual({ access_token_ttl: '700' });

    await write({ access_token_ttl: 7000 }, 1_700_000_001);
    expect(entries(await source.load())).toEqual({ access_token_ttl: '7000' });
  });

  it('rejects the load while the file is not valid JSON, and recovers once it is fixed', async () => {
    const source = new FileParameterSource({ path });
    await write('{"access_token_ttl": 600,');
    await expect(source.load()).rejects.toThrow(`parameters file ${path} is not valid JSON`);
    await expect(source.load()).rejects.toThrow('not valid JSON');
    await write({ access_token_ttl: 600 }, 1_700_000_002);
    expect(entries(await source.load())).toEqual({ access_token_ttl: '600' });
  });

  it('rejects a file that is not an object, or sets a name twice', async () => {
    await write([1, 2]);
    await expect(new FileParameterSource({ path }).load()).rejects.toThrow('must hold a JSON object');
    await write({ 'clients/web/access_token_ttl': 300, clients: { web: { access_token_ttl: 600 } } });
    await expect(new FileParameterSource({ path }).load()).rejects.toThrow('sets clients/web/access_token_ttl twice');
  });
});

describe('FileParameterSource in the store', () => {
  it('runs on defaults when there is no file, even on a cold start', async () => {
    const store = new LifetimeConfigStore({
      source: new FileParameterSource({ path }),
      clock: { now: () => Date.now() },
      logger: memoryLogger(),
      metrics: memoryMetrics(),
    });
    expect((await store.current()).global.access_token_ttl).toBe(900);
  });

  it('keeps the last valid configuration when the file turns into bad JSON, and logs it', async () => {
    const clock = { time: Date.now(), now() { return this.time; } };
    const logger = memoryLogger();
    const store = new LifetimeConfigStore({ source: new FileParameterSource({ path }), clock, logger, metrics: memoryMetrics() });
    await write({ access_token_ttl: 600 });
    expect((await store.current()).global.access_token_ttl).toBe(600);

    await write('{ access_token_ttl: 300 }', 1_700_000_100);
    clock.time += 30_000;
    expect((await store.current()).global.access_token_ttl).toBe(600);
    // The refresh that request started reads the file behind it.
    await vi.waitFor(() => expect(logger.lines).toHaveLength(1));
    expect((await store.current()).global.access_token_ttl).toBe(600);
    expect(logger.lines).toMatchObject([{ level: 'error', event: 'configuration_load_failed' }]);
    expect(String(logger.lines[0]?.fields.error)).toContain('not valid JSON');
  });

  it('as the local server wires it, an edit applies to the first request after the due time', async () => {
    const clock = { time: Date.now(), now() { return this.time; } };
    const store = lifetimesFromEnvironment(
      { stage: 'test', issuer: 'http://127.0.0.1' },
      { kind: 'file', file: path, maxAgeMs: 1000 },
      { clock, logger: memoryLogger(), metrics: memoryMetrics() },
    );
    await write({ access_token_ttl: 600 });
    expect((await store.current()).global.access_token_ttl).toBe(600);
    await write({ access_token_ttl: 300 }, 1_700_000_100);
    clock.time += 1000;
    // Refreshes run behind the requests, but this source is waited for: a local file answers at once.
    expect((await store.current()).global.access_token_ttl).toBe(300);
  });

  it('throws on a cold start with bad JSON instead of running on defaults', async () => {
    await write('not json');
    const store = new LifetimeConfigStore({
      source: new FileParameterSource({ path }),
      clock: { now: () => Date.now() },
      logger: memoryLogger(),
      metrics: memoryMetrics(),
    });
    const refused = store.current();
    await expect(refused).rejects.toBeInstanceOf(ConfigurationUnavailableError);
    await expect(refused).rejects.toMatchObject({ status: 503, cause: { message: expect.stringContaining('not valid JSON') } });
  });
});
