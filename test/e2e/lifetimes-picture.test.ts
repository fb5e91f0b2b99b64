import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { humanDuration } from '../../functions/lifetimes/picture.ts';
import { run } from '../cli/run.ts';
import { newClient, newPublicClient, writeParameters, type TestClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

/** Debian's Chromium, as the other browser tests drive it. */
const CHROMIUM = '/usr/bin/chromium';
const STEP = 10_000;
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
/** Screenshots go here, never into the repository. */
const ARTIFACTS = resolve(process.env['LIFESPAN_ARTIFACTS_DIR'] ?? join(tmpdir(), 'lifespan-artifacts'));

/** What the page draws for one bar, read in the browser. */
interface DrawnBar {
  readonly view: number;
  readonly row: string;
  readonly parameter: string;
  readonly value: number;
  readonly source: string;
  readonly text: string;
  readonly width: number;
  readonly visible: boolean;
  readonly warnings: readonly string[];
  readonly marks: number;
}

type Explained = Record<string, { value: number | string | boolean; source: string }>;

// Runs in the page (this project's TypeScript has no DOM types, hence a string).
const READ_BARS = `JSON.stringify([...document.querySelectorAll('g.row')].map((row) => {
  const rect = row.querySelector('rect.bar').getBoundingClientRect();
  const text = row.querySelector('text.value');
  const box = text.getBoundingClientRect();
  return {
    view: Number(row.dataset.view), row: row.dataset.row, parameter: row.dataset.parameter,
    value: Number(row.dataset.value), source: row.dataset.source, text: text.textContent,
    width: rect.width, visible: box.width > 0 && box.right <= document.documentElement.scrollWidth,
    warnings: [...row.querySelectorAll('text.warning')].map((note) => note.dataset.code),
    marks: row.querySelectorAll('line.mark').length,
  };
}))`;
const READ_VIEWS = `JSON.stringify([...document.querySelectorAll('section.view h2')].map((heading) => heading.textContent))`;

/**
 * The picture of the lifetimes (#14), in the headless browser the end-to-end tests use: the page
 * `lifespan lifetimes explain --html --file` writes and the one the development server serves at
 * `/admin/lifetimes.html` draw every lifetime with its value and source, exactly what `explain`
 * says, with the limits and warnings on their bars, and load nothing from anywhere.
 */
describe('the lifetimes picture in a real browser', () => {
  let service: TestServer;
  let chromium: Browser;
  let page: Page;
  let web: TestClient;
  let spa: TestClient;
  /** Requests the page made besides its own document, and console problems. */
  let fetched: string[];
  let problems: string[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    expect(relative(REPOSITORY, ARTIFACTS).startsWith('..'), `${ARTIFACTS} must be outside the repository`).toBe(true);
    await mkdir(ARTIFACTS, { recursive: true });
    service = await startTestServer();
    web = await newClient(service, { client_name: 'Orders web' });
    spa = await newPublicClient(service, { client_name: 'Orders SPA', scopes: ['openid', 'offline_access'] });
    await writeParameters(service, {
      // A warning on the session bars, and one value the guardrail rejects.
      session_idle_ttl: '172800',
      id_token_ttl: '90000',
      clients: {
        [web.client_id]: { refresh_token_rotation: 'false', access_token_ttl: '600' },
        [spa.client_id]: { refresh_token_idle_ttl: '604800' },
      },
      profiles: {
        'shared-device': { session_idle_ttl: '600', session_absolute_ttl: '3600', refresh_token_idle_ttl: '900', access_token_ttl: '120', access_token_ttl_browser: '60' },
      },
    });
    chromium = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await chromium?.close();
    await service?.server.close();
  });
  beforeEach(async () => {
    fetched = [];
    problems = [];
    const context = await chromium.createBrowserContext();
    page = await context.newPage();
    page.setDefaultTimeout(STEP);
    await page.setViewport({ width: 1100, height: 900 });
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      // Only the page itself may be loaded: no script, font, image or style from anywhere.
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) void request.continue();
      else {
        fetched.push(request.url());
        void request.abort();
      }
    });
    page.on('console', (message) => problems.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  });
  afterEach(async () => {
    await page.browserContext().close();
  });

  const bars = async (): Promise<DrawnBar[]> => JSON.parse(String(await page.evaluate(READ_BARS))) as DrawnBar[];
  const headings = async (): Promise<string[]> => JSON.parse(String(await page.evaluate(READ_VIEWS))) as string[];
  const screenshot = async (name: string) => {
    const path = join(ARTIFACTS, name);
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
  };
  const explain = async (flags: string[]): Promise<Explained> => {
    const result = await run(['lifetimes', 'explain', '--file', service.parametersFile, ...flags, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Explained;
  };

  /** Every bar is drawn, visibly, with its value and source beside it. */
  function expectDrawn(drawn: readonly DrawnBar[]): void {
    expect(drawn.length).toBeGreaterThan(0);
    for (const bar of drawn) {
      const where = `view ${bar.view} ${bar.row}`;
      expect(bar.width, where).toBeGreaterThan(0);
      expect(bar.visible, where).toBe(true);
      expect(bar.text, where).toContain(humanDuration(bar.value));
      expect(bar.text, where).toContain(bar.source);
    }
  }

  it('from `explain --html --file`: every lifetime of every view, as explain resolves it', async () => {
    const result = await run([
      'lifetimes', 'explain', '--file', service.parametersFile, '--html',
      '--client', web.client_id, '--client', spa.client_id, '--client-type', 'confidential', '--profile', 'shared-device',
    ]);
    expect(result.code, result.stderr).toBe(0);
    await page.setContent(result.stdout, { waitUntil: 'load' });
    expect(await headings()).toEqual([
      `client ${web.client_id} · (confidential) · no lifetime profile`,
      `client ${web.client_id} · (confidential) · lifetime profile shared-device`,
      `client ${spa.client_id} · (confidential) · no lifetime profile`,
      `client ${spa.client_id} · (confidential) · lifetime profile shared-device`,
    ]);
    const drawn = await bars();
    expectDrawn(drawn);
    const views = [
      ['--client', web.client_id],
      ['--client', web.client_id, '--profile', 'shared-device'],
      ['--client', spa.client_id],
      ['--client', spa.client_id, '--profile', 'shared-device'],
    ];
    for (const [index, flags] of views.entries()) {
      const explained = await explain([...flags, '--client-type', 'confidential']);
      const ofView = drawn.filter((bar) => bar.view === index);
      const rows = ofView.map((bar) => bar.row);
      const expected = ['access_token', ...(index % 2 === 0 ? ['client_credentials'] : []), 'id_token', 'authorization_code', 'refresh_idle', 'refresh_absolute', 'session_idle', 'session_absolute'];
      expect(rows, flags.join(' ')).toEqual(expected);
      for (const bar of ofView) expect(explained[bar.parameter], `${flags.join(' ')} ${bar.row}`).toMatchObject({ value: bar.value, source: bar.source });
    }
    const profiled = drawn.filter((bar) => bar.view === 1);
    expect(profiled.find((bar) => bar.row === 'session_idle')).toMatchObject({ value: 600, source: 'profile' });
    expect(profiled.find((bar) => bar.row === 'access_token')).toMatchObject({ value: 120, source: 'profile' });
    // Warnings on the bar they concern, the rejected value on its bar, the limits as marks.
    expect(drawn.find((bar) => bar.view === 0 && bar.row === 'session_idle')?.warnings).toEqual(['SESSION_IDLE_TTL_LONG']);
    expect(drawn.find((bar) => bar.view === 0 && bar.row === 'refresh_absolute')?.warnings).toEqual(['REFRESH_TOKEN_ROTATION_OFF']);
    expect(drawn.find((bar) => bar.view === 1 && bar.row === 'session_idle')?.warnings).toEqual([]);
    expect(drawn.find((bar) => bar.view === 0 && bar.row === 'id_token')).toMatchObject({ source: 'guardrail', value: 300 });
    expect(drawn.find((bar) => bar.view === 0 && bar.row === 'access_token')?.marks).toBe(2);
    expect(drawn.find((bar) => bar.view === 0 && bar.row === 'authorization_code')?.marks).toBe(1);
    expect(fetched).toEqual([]);
    expect(problems).toEqual([]);
    await screenshot('lifetimes-cli.png');
  });

  it('from the development server: /admin/lifetimes.html for the running configuration, behind the admin token', async () => {
    const refused = await fetch(`${service.url}/admin/lifetimes.html`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm="lifespan-admin"/);
    expect((await fetch(`${service.url}/admin/lifetimes.html`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);

    // As a person would: the browser asks, the admin token is the password.
    await page.authenticate({ username: 'admin', password: service.adminToken });
    const response = await page.goto(`${service.url}/admin/lifetimes.html`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    const views = await headings();
    // The global view and each overridden client (with its registered type), each without and with the profile.
    expect(views).toEqual([
      'any client · no lifetime profile',
      'any client · lifetime profile shared-device',
      // In code-unit order, as the page lists them (not localeCompare: ids differ in case).
      ...[web, spa]
        .map((client) => ({ id: client.client_id, type: client === web ? 'confidential' : 'public' }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .flatMap(({ id, type }) => [`client ${id} · (${type}) · no lifetime profile`, `client ${id} · (${type}) · lifetime profile shared-device`]),
    ]);
    const drawn = await bars();
    expectDrawn(drawn);
    // The public client gets the browser access token only, and the profile's browser lifetime.
    const spaView = views.indexOf(`client ${spa.client_id} · (public) · lifetime profile shared-device`);
    const spaRows = drawn.filter((bar) => bar.view === spaView);
    expect(spaRows.map((bar) => bar.row)).not.toContain('access_token');
    expect(spaRows.find((bar) => bar.row === 'access_token_browser')).toMatchObject({ value: 60, source: 'profile' });
    // What the admin API explains for the same client and profile.
    const explained = (await (await service.admin(`/admin/lifetimes?client_id=${spa.client_id}&profile=shared-device`)).json()) as { lifetimes: Explained };
    for (const bar of spaRows) expect(explained.lifetimes[bar.parameter], bar.row).toMatchObject({ value: bar.value, source: bar.source });
    expect(fetched).toEqual([]);
    expect(problems).toEqual([]);
    await screenshot('lifetimes-dev-server.png');
  });

  it('from the development server, for the clients and profile asked for; unknown ones are refused', async () => {
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${service.adminToken}` });
    await page.goto(`${service.url}/admin/lifetimes.html?client_id=${web.client_id}&profile=shared-device&audience=orders-api`);
    expect(await headings()).toEqual([
      `client ${web.client_id} · (confidential) · audience orders-api · no lifetime profile`,
      `client ${web.client_id} · (confidential) · audience orders-api · lifetime profile shared-device`,
    ]);
    expectDrawn(await bars());
    const unknown = await page.goto(`${service.url}/admin/lifetimes.html?profile=nope`);
    expect(unknown?.status()).toBe(404);
    expect(await page.evaluate('document.body.textContent')).toContain('no lifetime profile nope');
  });
});
