import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RequestedClaims } from '../../oauth/claims.ts';
import type { Authentication } from '../../oauth/sessions/authentication.ts';
import { n, readNumber, readOptionalJson, readOptionalString, readOptionalStrings, readString, s, strings } from './attributes.ts';

/** Who logged in, and how (and the login's lifetime profile): stored alike on codes, sessions and refresh families. */
export interface LoginAttributes extends Authentication {
  readonly subject: string;
  readonly authTime: number;
  readonly sid?: string | undefined;
}

export function loginAttributes(login: LoginAttributes): Record<string, AttributeValue> {
  return {
    subject: s(login.subject),
    auth_time: n(login.authTime),
    ...(login.sid !== undefined && { sid: s(login.sid) }),
    ...(login.acr !== undefined && { acr: s(login.acr) }),
    ...(login.amr !== undefined && { amr: strings(login.amr) }),
    ...(login.claims !== undefined && { claims: s(JSON.stringify(login.claims)) }),
    ...(login.lifetimeProfile !== undefined && { lifetime_profile: s(login.lifetimeProfile) }),
  };
}

/** What a grant's `claims` request asked for (codes and families; never sessions: it belongs to one request). */
export function requestedClaimsAttribute(requested: RequestedClaims | undefined): Record<string, AttributeValue> {
  return requested === undefined ? {} : { requested_claims: s(JSON.stringify(requested)) };
}

export function readRequestedClaims(item: Record<string, AttributeValue>): RequestedClaims | undefined {
  return readOptionalJson<RequestedClaims>(item, 'requested_claims');
}

export function readLoginAttributes(item: Record<string, AttributeValue>): LoginAttributes {
  return {
    subject: readString(item, 'subject'),
    authTime: readNumber(item, 'auth_time'),
    sid: readOptionalString(item, 'sid'),
    acr: readOptionalString(item, 'acr'),
    amr: readOptionalStrings(item, 'amr'),
    claims: readOptionalJson<Record<string, unknown>>(item, 'claims'),
    lifetimeProfile: readOptionalString(item, 'lifetime_profile'),
  };
}
