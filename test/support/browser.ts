import type { TestServer } from './local-server.ts';

// `npm run demo` imports this module: keep vitest (and what imports it, such as flows.ts) out of its runtime imports.

/** A minimal browser: a cookie jar and manual redirects, enough to walk /authorize. */
export class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.#send(url, {});
  }

  /** A form POST, as a browser submits an HTML form (same-site: its cookies go along). */
  async post(url: string, form: Record<string, string>): Promise<Response> {
    return this.#send(url, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  async #send(url: string, init: { method?: string; body?: string; headers?: Record<string, string> }): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie && { cookie }) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

/** The `Authorization` header of client_secret_basic (RFC 6749 §2.3.1: both parts form-encoded first). */
export const basic = (clientId: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Registers a client through the admin API and returns what the API answered. */
export async function registerClient(service: TestServer, body: Record<string, unknown>): Promise<{ client_id: string; client_secret?: string }> {
  const response = await service.admin('/admin/clients', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { client_id: string; client_secret?: string };
}

/**
 * Drives a browser through `/authorize` → the login app (the admin API's accept) → back to
 * `/authorize`, and returns the final redirect to the client.
 */
export async function logIn(
  service: TestServer,
  browser: Browser,
  authorizationUrl: string,
  accept: Record<string, unknown> = { subject: 'alice' },
): Promise<URL> {
  const first = await browser.get(authorizationUrl);
  if (first.status !== 302) throw new Error(`authorize answered ${first.status}: ${await first.text()}`);
  const location = new URL(first.headers.get('location')!);
  const challenge = location.searchParams.get('login_challenge');
  if (!challenge) return location;
  const accepted = await service.admin(`/admin/login-requests/${challenge}/accept`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(accept),
  });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${await accepted.text()}`);
  const { redirect_to: redirectTo } = (await accepted.json()) as { redirect_to: string };
  const back = await browser.get(redirectTo);
  if (back.status !== 302) throw new Error(`authorize (verifier) answered ${back.status}: ${await back.text()}`);
  return new URL(back.headers.get('location')!);
}
