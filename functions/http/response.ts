import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { pagePolicy } from './csp.ts';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> };

/** Token, error and admin responses must never be cached (RFC 6749 §5.1). */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** A JSON response; not cacheable unless `headers` sets its own `Cache-Control`. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const caching = 'Cache-Control' in headers ? {} : NO_STORE;
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...caching, ...headers },
    body: JSON.stringify(body),
  };
}

export function empty(statusCode: number, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...NO_STORE, ...headers }, body: '' };
}

export function redirect(location: string, cookies: string[] = []): HttpResponse {
  return { statusCode: 302, headers: { Location: location, ...NO_STORE }, body: '', ...(cookies.length > 0 && { cookies }) };
}

/**
 * An HTML page. Its forms may submit to this origin, plus the origins of `formTargets`: the
 * validated client URIs where a submission's redirect chain may end (see {@link pagePolicy}).
 */
export function html(statusCode: number, body: string, headers: Record<string, string> = {}, formTargets: readonly string[] = []): HttpResponse {
  return {
    statusCode,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': pagePolicy(formTargets),
      'X-Content-Type-Options': 'nosniff',
      ...NO_STORE,
      ...headers,
    },
    body,
  };
}
