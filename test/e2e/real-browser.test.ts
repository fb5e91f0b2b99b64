import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local.ts';
import { newPublicClient } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { startSpa, type SpaServer } from '../support/spa-server.ts';

/** Debian's Chromium; `.ci/run` installs it when missing. */
const CHROMIUM = '/usr/bin/chromium';
/** A step that a person sees at once locally (well under a second); past this something is blocked, even on a loaded machine. */
const STEP = 10_000;
/** A subject of its own per test, short to type. */
const typedSubject = () => `user-${randomBytes(4).toString('hex')}`;

/**
 * A real browser (headless Chromium) through an SPA on another origin that uses a real client
 * library (oidc-client-ts) as a person would: sign in on the development login page, refresh,
 * log out with and without the ID token. Chromium checks CSP form-action on every hop of a form
 * submission's redirect chain, which no HTTP-level test sees.
 */
describe('a real browser through an oidc-client-ts SPA', () => {
  let service: TestServer;
  let spa: SpaServer;
  let chromium: Browser;
  let page: Page;
  /** Console errors, CSP violations and uncaught exceptions of the current test's page. */
  let problems: string[];
  /** Every document response the page navigated through, by URL. */
  let documents: HTTPResponse[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: this test drives Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
    }
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    service = await startTestServer();
    const client = await newPublicClient(service, {
      client_name: 'Example SPA',
      redirect_uris: [`${origin}/callback`],
      post_logout_redirect_uris: [`${origin}/signed-out`],
      scopes: ['openid', 'offline_access'],
    });
    spa = await startSpa({ issuer: service.url, clientId: client.client_id }, port);
    chromium = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await chromium?.close();
    await spa?.close();
    await service?.server.close();
  });

  beforeEach(async () => {
    problems = [];
    documents = [];
    // A context of its own per test: no cookies or storage carried from one test to the next.
    const context = await chromium.createBrowserContext();
    page = await context.newPage();
    page.setDefaultTimeout(STEP);
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
    page.on('response', (response) => {
      if (response.request().isNavigationRequest()) documents.push(response);
    });
  });
  afterEach(async () => {
    await page.browserContext().close();
  });

  /** A predicate evaluated in the page (this project's TypeScript has no DOM types): on `origin`, and `condition` holds. */
  const onPage = (origin: string, condition: string) => `location.origin === ${JSON.stringify(origin)} && ${condition}`;

  /** Where the page is and what went wrong so far, for a failing step's message. */
  const where = () => `at ${page.url()}; problems: ${JSON.stringify(problems)}`;

  async function text(selector: string): Promise<string> {
    return page.$eval(selector, (element) => element.textContent ?? '');
  }

  /** Waits until the SPA's status field reads `status` (after the navigations it took to get there). */
  async function appShows(status: 'signed in' | 'signed out'): Promise<void> {
    try {
      await page.waitForFunction(onPage(spa.origin, `document.getElementById('status')?.textContent === ${JSON.stringify(status)}`));
    } catch (error) {
      throw new Error(`the app never showed "${status}" ${where()}`, { cause: error });
    }
  }

  /** Waits for a Lifespan page with heading `heading`. */
  async function lifespanPage(heading: string): Promise<void> {
    try {
      await page.waitForFunction(onPage(service.url, `document.querySelector('h1')?.textContent === ${JSON.stringify(heading)}`));
    } catch (error) {
      throw new Error(`no Lifespan page "${heading}" ${where()}`, { cause: error });
    }
  }

  /** Clicks a button and waits for the navigation it starts. */
  async function clickAndNavigate(selector: string): Promise<void> {
    try {
      await Promise.all([page.waitForNavigation(), page.click(selector)]);
    } catch (error) {
      throw new Error(`clicking ${selector} went nowhere ${where()}`, { cause: error });
    }
  }

  /** From the signed-out app: Sign in, type the subject on the development login page, press "Log in". */
  async function signIn(subject: string): Promise<void> {
    await clickAndNavigate('#sign-in');
    await lifespanPage('Development login');
    await page.type('input[name="subject"]', subject);
    await page.click('button[value="accept"]');
    await appShows('signed in');
    expect(await text('#subject')).toBe(subject);
  }

  const formAction = (response: HTTPResponse) =>
    /form-action ([^;]*)/.exec(response.headers()['content-security-policy'] ?? '')?.[1]?.split(' ');

  it('signs in through the development login page, lands back signed in, refreshes, and logs out with the ID token', async () => {
    const subject = typedSubject();
    await page.goto(spa.origin);
    await appShows('signed out');
    await signIn(subject);

    // The login page may send its form to Lifespan and to this client's origin, nothing else.
    const login = documents.find((response) => new URL(response.url()).pathname === '/login');
    expect(login && formAction(login)).toEqual(["'self'", spa.origin]);

    const first = await text('#access-token');
    expect(first).not.toBe('');
    await page.click('#refresh');
    await page.waitForFunction(onPage(spa.origin, `!['', ${JSON.stringify(first)}].includes(document.getElementById('access-token')?.textContent)`));
    expect(await text('#subject')).toBe(subject);

    await clickAndNavigate('#sign-out');
    await appShows('signed out');
    expect(await text('#returned-state')).toBe('bye');
    expect(new URL(page.url()).pathname).toBe('/signed-out');
    // The session is gone: signing in again asks for the subject.
    await clickAndNavigate('#sign-in');
    await lifespanPage('Development login');
    expect(problems).toEqual([]);
  });

  it('logs out without the ID token only after the user confirms on Lifespan’s page, then lands at post_logout_redirect_uri', async () => {
    await page.goto(spa.origin);
    await appShows('signed out');
    await signIn(typedSubject());

    await clickAndNavigate('#sign-out-without-hint');
    await lifespanPage('Log out of Lifespan?');
    const confirmation = documents.at(-1)!;
    expect(formAction(confirmation)).toEqual(["'self'", spa.origin]);
    await clickAndNavigate('button');
    await appShows('signed out');
    expect(await text('#returned-state')).toBe('bye');
    expect(new URL(page.url()).pathname).toBe('/signed-out');
    await clickAndNavigate('#sign-in');
    await lifespanPage('Development login');
    expect(problems).toEqual([]);
  });
});
