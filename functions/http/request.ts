import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequest, InvalidTarget, PayloadTooLarge, UnsupportedMediaType } from '../oauth/errors.ts';

/** Form and JSON bodies of this service are small; anything larger is refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The parts of an API Gateway v2 request that the service reads, normalised. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly routeKey: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly cookies: ReadonlyMap<string, string>;
  readonly body: string;
  readonly sourceIp: string;
  readonly event: APIGatewayProxyEventV2;
}

function parseCookies(raw: readonly string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of raw ?? []) {
    const index = pair.indexOf('=');
    if (index <= 0) continue;
    const name = pair.slice(0, index).trim();
    if (!cookies.has(name)) cookies.set(name, pair.slice(index + 1).trim());
  }
  return cookies;
}

/** Normalises an API Gateway v2 event; refuses bodies over {@link MAX_BODY_BYTES}. */
export function parseRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const pathParameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
    if (value !== undefined) pathParameters[name] = value;
  }
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    routeKey: event.routeKey,
    pathParameters,
    headers,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    cookies: parseCookies(event.cookies),
    body: bytes.toString('utf8'),
    sourceIp: event.requestContext.http.sourceIp,
    event,
  };
}

function mediaType(request: HttpRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * An `application/x-www-form-urlencoded` body as RFC 6749 requires. A parameter sent twice
 * is refused (RFC 6749 §3.1, §3.2): which copy to trust would otherwise be a guess.
 */
export function formBody(request: HttpRequest): Map<string, string> {
  return uniqueParameters(formParameters(request), 'body');
}

/** A form body's parameters as sent, repeats included; a body that is not a form is 415. */
export function formParameters(request: HttpRequest): URLSearchParams {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw new UnsupportedMediaType('application/x-www-form-urlencoded');
  }
  return new URLSearchParams(request.body);
}

/**
 * The parameters of a browser's form POST (`/authorize`, `/logout`), as they would stand in the
 * query of the same GET: repeats kept, for the endpoint's own checks. Undefined when the body is
 * not a form.
 */
export function formAsQuery(request: HttpRequest): URLSearchParams | undefined {
  return mediaType(request) === 'application/x-www-form-urlencoded' ? new URLSearchParams(request.body) : undefined;
}

/**
 * Query or form parameters with duplicates refused and empty values treated as absent (RFC 6749
 * §3.1). A name counts as sent even when its value is empty: `a=&a=x` is a repeat, not `a=x`.
 * `resource` is the exception RFC 8707 §2 makes (one per resource): the request is well formed,
 * but each access token and device grant here is for one audience, so several resources are
 * `invalid_target`, a target this server will not serve, rather than a malformed request.
 */
export function uniqueParameters(params: URLSearchParams, where: string): Map<string, string> {
  const seen = new Set<string>();
  const result = new Map<string, string>();
  for (const [name, value] of params) {
    if (seen.has(name) && name === 'resource') throw new InvalidTarget('one resource per token request: each access token has one audience');
    if (seen.has(name)) throw new InvalidRequest(`parameter ${name} is repeated in the ${where}`);
    seen.add(name);
    if (value !== '') result.set(name, value);
  }
  return result;
}

/** A JSON object body (admin API). */
export function jsonBody(request: HttpRequest): Record<string, unknown> {
  if (mediaType(request) !== 'application/json') throw new UnsupportedMediaType('application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch (error) {
    throw new InvalidRequest('the body is not valid JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequest('the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
