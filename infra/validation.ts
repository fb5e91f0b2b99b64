/**
 * Checks on stack props, run in constructors so a bad value fails `cdk synth` with its name
 * instead of producing a template that deploys and then misbehaves. Values that are CDK tokens
 * (resolved only at deploy time) cannot be checked and are let through.
 */
import { Token } from 'aws-cdk-lib';

/** The same rule the functions apply to `LIFESPAN_STAGE` (functions/runtime/environment.ts). */
const STAGE = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** A DNS name of lowercase labels: what API Gateway accepts for a custom domain. */
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Throws `TypeError` unless `stage` matches `[a-z0-9-]` (1–32 characters, not starting with `-`). */
export function assertStage(stage: string): void {
  if (!STAGE.test(stage)) throw new TypeError(`stage must match [a-z0-9][a-z0-9-]{0,31}, not ${JSON.stringify(stage)}`);
}

function parseUrl(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute URL, not ${JSON.stringify(value)}`);
  }
}

/**
 * The issuer rules of OIDC Discovery and RFC 8414 §2, as the functions enforce them: https,
 * no query, no fragment, no trailing slash (no user info either: it would end up in every token).
 */
export function assertIssuer(issuer: string): void {
  if (Token.isUnresolved(issuer)) return;
  const url = parseUrl('issuer', issuer);
  if (url.protocol !== 'https:') throw new TypeError(`issuer must use https, not ${JSON.stringify(issuer)}`);
  if (url.search || url.hash || issuer.includes('?') || issuer.includes('#')) {
    throw new TypeError(`issuer must have no query or fragment: ${JSON.stringify(issuer)}`);
  }
  if (issuer.endsWith('/')) throw new TypeError(`issuer must not end with a slash: ${JSON.stringify(issuer)}`);
  if (url.username || url.password) throw new TypeError('issuer must not contain user information');
}

/**
 * The login app's URL: https, no fragment (the service appends `login_challenge` to the query,
 * so an existing query is kept).
 */
export function assertLoginUrl(loginUrl: string): void {
  if (Token.isUnresolved(loginUrl)) return;
  const url = parseUrl('loginUrl', loginUrl);
  if (url.protocol !== 'https:') throw new TypeError(`loginUrl must use https, not ${JSON.stringify(loginUrl)}`);
  if (url.hash || loginUrl.includes('#')) throw new TypeError(`loginUrl must have no fragment: ${JSON.stringify(loginUrl)}`);
  if (url.username || url.password) throw new TypeError('loginUrl must not contain user information');
}

/** A lowercase DNS name such as `auth.example.com`. */
export function assertDomainName(domainName: string): void {
  if (Token.isUnresolved(domainName)) return;
  if (!DOMAIN_NAME.test(domainName)) throw new TypeError(`domainName must be a lowercase DNS name, not ${JSON.stringify(domainName)}`);
}

/** An ACM certificate ARN; it must be in the stack's region for a regional API domain. */
export function assertCertificateArn(certificateArn: string): void {
  if (Token.isUnresolved(certificateArn)) return;
  if (!CERTIFICATE_ARN.test(certificateArn)) {
    throw new TypeError(`certificateArn must be an ACM certificate ARN, not ${JSON.stringify(certificateArn)}`);
  }
}

/** Loose on purpose: SNS sends a confirmation mail, which is the real check. */
export function assertEmail(name: string, email: string): void {
  if (Token.isUnresolved(email)) return;
  if (!EMAIL.test(email)) throw new TypeError(`${name} must be an email address, not ${JSON.stringify(email)}`);
}

/** A finite number > 0 (and a whole one when `integer`). */
export function assertPositive(name: string, value: number, options: { readonly integer?: boolean; readonly max?: number } = {}): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a number above 0, not ${value}`);
  if (options.integer && !Number.isInteger(value)) throw new TypeError(`${name} must be a whole number, not ${value}`);
  if (options.max !== undefined && value > options.max) throw new TypeError(`${name} must be at most ${options.max}, not ${value}`);
}
