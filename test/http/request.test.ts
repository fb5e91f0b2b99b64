import { describe, expect, it } from 'vitest';
import { formBody, jsonBody, MAX_BODY_BYTES, parseRequest } from '../../functions/http/request.ts';
import { OAuthError } from '../../functions/oauth/errors.ts';
import { apiEvent } from '../support/events.ts';

function codeOf(action: () => unknown): { code: string; status: number } {
  try {
    action();
  } catch (error) {
    if (error instanceof OAuthError) return { code: error.code, status: error.status };
    throw error;
  }
  throw new Error('expected an OAuthError');
}

const form = (body: string, contentType = 'application/x-www-form-urlencoded') =>
  parseRequest(apiEvent({ method: 'POST', headers: { 'content-type': contentType }, body }));

describe('parseRequest', () => {
  it('decodes base64 bodies, lower-cases headers and reads cookies', () => {
    const request = parseRequest(
      apiEvent({
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from('{"a":1}').toString('base64'),
        isBase64Encoded: true,
        cookies: ['sid=abc', 'other=1', 'sid=second'],
        query: 'x=1&y=2',
      }),
    );
    expect(request.body).toBe('{"a":1}');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.cookies.get('sid')).toBe('abc');
    expect(request.query.get('y')).toBe('2');
  });

  it('refuses a body over the limit with 413', () => {
    expect(codeOf(() => form('a'.repeat(MAX_BODY_BYTES + 1)))).toEqual({ code: 'invalid_request', status: 413 });
  });
});

describe('formBody', () => {
  it('parses a form and accepts a charset parameter', () => {
    const params = formBody(form('grant_type=client_credentials&scope=a+b', 'application/x-www-form-urlencoded; charset=UTF-8'));
    expect(params.get('scope')).toBe('a b');
  });

  it('refuses a repeated parameter', () => {
    expect(codeOf(() => formBody(form('scope=a&scope=b')))).toEqual({ code: 'invalid_request', status: 400 });
  });

  it.each([
    ['empty first', 'scope=&scope=openid'],
    ['empty last', 'scope=openid&scope='],
    ['both empty', 'scope=&scope='],
    ['a bare name first', 'scope&scope=openid'],
  ])('refuses a repeated parameter when one copy is empty (%s)', (_why, body) => {
    expect(codeOf(() => formBody(form(body)))).toEqual({ code: 'invalid_request', status: 400 });
  });

  it('refuses several resources as invalid_target: RFC 8707 lets resource repeat, but each token has one audience', () => {
    expect(codeOf(() => formBody(form('resource=a&resource=b')))).toEqual({ code: 'invalid_target', status: 400 });
    expect(codeOf(() => formBody(form('resource=&resource=b')))).toEqual({ code: 'invalid_target', status: 400 });
  });

  it('treats an empty value as absent', () => {
    expect(formBody(form('scope=&state=x')).has('scope')).toBe(false);
  });

  it('refuses another content type with 415', () => {
    expect(codeOf(() => formBody(form('{"a":1}', 'application/json')))).toEqual({ code: 'invalid_request', status: 415 });
  });
});

describe('jsonBody', () => {
  const json = (body: string, contentType = 'application/json') =>
    jsonBody(parseRequest(apiEvent({ method: 'POST', headers: { 'content-type': contentType }, body })));

  it.each([['not json', '{'], ['an array', '[1]'], ['a string', '"x"'], ['null', 'null'], ['empty', '']])(
    'refuses %s with 400',
    (_why, body) => {
      expect(codeOf(() => json(body))).toEqual({ code: 'invalid_request', status: 400 });
    },
  );

  it('refuses a form with 415', () => {
    expect(codeOf(() => json('a=1', 'application/x-www-form-urlencoded'))).toEqual({ code: 'invalid_request', status: 415 });
  });
});
