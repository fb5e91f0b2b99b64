import { parseClaimsRequest, type ClaimsRequest } from './claims.ts';
import { InvalidRequest } from './errors.ts';

/** OIDC Core §3.1.2.1 `prompt` values; `none` stands alone. */
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

/** OIDC Core §3.1.2.1 `display` values. */
export const DISPLAY_VALUES = ['page', 'popup', 'touch', 'wap'] as const;
export type Display = (typeof DISPLAY_VALUES)[number];

/** What the login app is told of the request (OIDC Core §3.1.2.1, §5.5): each only when sent. */
export interface OidcParameters {
  readonly prompt?: readonly Prompt[] | undefined;
  readonly maxAge?: number | undefined;
  readonly loginHint?: string | undefined;
  readonly acrValues?: readonly string[] | undefined;
  readonly uiLocales?: readonly string[] | undefined;
  readonly claimsLocales?: readonly string[] | undefined;
  readonly display?: Display | undefined;
  readonly claims?: ClaimsRequest | undefined;
}

/** Bounds on what is stored with a login request: anything longer is refused, never kept. */
export const LIMITS = {
  loginHint: 512,
  listEntries: 10,
  acrValue: 255,
  claims: 4096,
} as const;

/** A BCP 47 language tag (RFC 5646), loosely: subtags of 1–8 letters or digits. */
const LANGUAGE_TAG = /^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8}){0,7}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

function list(name: string, value: string | undefined, entry: (item: string) => boolean): string[] | undefined {
  if (value === undefined) return undefined;
  const items = [...new Set(value.split(' ').filter((item) => item !== ''))];
  if (items.length === 0) return undefined;
  if (items.length > LIMITS.listEntries) throw new InvalidRequest(`${name} may hold at most ${LIMITS.listEntries} values`);
  if (!items.every(entry)) throw new InvalidRequest(`${name} holds a malformed value`);
  return items;
}

function prompt(value: string | undefined): Prompt[] | undefined {
  const values = list('prompt', value, (item) => (PROMPT_VALUES as readonly string[]).includes(item));
  // §3.1.2.1: "If this parameter contains none with any other value, an error is returned."
  if (values?.includes('none') && values.length > 1) throw new InvalidRequest('prompt=none cannot be combined with other values');
  return values as Prompt[] | undefined;
}

/**
 * The OIDC parameters of an authorization request, checked and bounded. `single` gives a
 * parameter's one value (absent when empty).
 *
 * @throws InvalidRequest naming the parameter (never echoing it).
 */
export function parseOidcParameters(single: (name: string) => string | undefined): OidcParameters {
  const promptValues = prompt(single('prompt'));
  const maxAge = single('max_age');
  if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge)) throw new InvalidRequest('max_age must be a number of seconds');
  const loginHint = single('login_hint');
  if (loginHint !== undefined && (loginHint.length > LIMITS.loginHint || CONTROL.test(loginHint))) {
    throw new InvalidRequest(`login_hint must be at most ${LIMITS.loginHint} characters, without control characters`);
  }
  const acrValues = list('acr_values', single('acr_values'), (item) => item.length <= LIMITS.acrValue && !CONTROL.test(item));
  const uiLocales = list('ui_locales', single('ui_locales'), (item) => LANGUAGE_TAG.test(item));
  const claimsLocales = list('claims_locales', single('claims_locales'), (item) => LANGUAGE_TAG.test(item));
  const display = single('display');
  if (display !== undefined && !(DISPLAY_VALUES as readonly string[]).includes(display)) {
    throw new InvalidRequest(`display must be one of ${DISPLAY_VALUES.join(', ')}`);
  }
  const rawClaims = single('claims');
  if (rawClaims !== undefined && rawClaims.length > LIMITS.claims) throw new InvalidRequest(`claims is longer than ${LIMITS.claims} characters`);
  const claims = rawClaims !== undefined ? parseClaimsRequest(rawClaims) : undefined;
  return {
    prompt: promptValues,
    maxAge: maxAge === undefined ? undefined : Number(maxAge),
    loginHint,
    acrValues,
    uiLocales,
    claimsLocales,
    display: display as Display | undefined,
    claims,
  };
}
