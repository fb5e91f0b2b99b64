import { describe, expect, it } from 'vitest';
import { originSource, pagePolicy } from '../../functions/http/csp.ts';
import { html } from '../../functions/http/response.ts';

const formAction = (policy: string) => /form-action ([^;]*)/.exec(policy)?.[1]?.split(' ');

describe('the CSP of HTML pages', () => {
  it('a page that submits nowhere off-origin: form-action is self alone, and nothing else loads or frames it', () => {
    const policy = html(200, '<p>x</p>').headers['Content-Security-Policy']!;
    expect(policy).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  });

  it('a page whose form ends at a client: self plus exactly that origin (scheme, host, port), never a path, wildcard or scheme', () => {
    expect(formAction(pagePolicy(['https://app.example.com/callback?x=1']))).toEqual(["'self'", 'https://app.example.com']);
    expect(formAction(pagePolicy(['http://localhost:5173/cb']))).toEqual(["'self'", 'http://localhost:5173']);
    expect(formAction(pagePolicy(['http://127.0.0.1:8080/cb']))).toEqual(["'self'", 'http://127.0.0.1:8080']);
    // The default port is the origin's own: the same origin, spelt once.
    expect(formAction(pagePolicy(['https://App.Example.com:443/a', 'https://app.example.com/b']))).toEqual(["'self'", 'https://app.example.com']);
    // Another origin than the one asked for is not listed.
    const policy = pagePolicy(['https://app.example.com/callback']);
    expect(policy).not.toContain('other.example.com');
    expect(policy).not.toMatch(/\*|https:(?!\/\/)|http:(?!\/\/)/);
  });

  it.each([
    ['a host a policy would read as a new directive', 'https://a;script-src*.example.com/'],
    ['a quote', "https://a'b.example.com/"],
    ['a wildcard', 'https://a*b.example.com/'],
    ['a comma', 'https://a,b.example.com/'],
    ['an IPv6 literal (no host-source names one; Chromium ignores it)', 'http://[::1]:8080/cb'],
    ['another scheme', 'com.example.app:/callback'],
    ['not a URI', 'callback'],
  ])('names nothing it cannot name exactly: %s', (_why, uri) => {
    expect(originSource(uri)).toBeUndefined();
    expect(formAction(pagePolicy([uri]))).toEqual(["'self'"]);
  });

  it('international hosts are named by their ASCII (punycode) form', () => {
    expect(originSource('https://bücher.example/cb')).toBe('https://xn--bcher-kva.example');
  });
});
