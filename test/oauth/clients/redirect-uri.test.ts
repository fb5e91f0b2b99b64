import { describe, expect, it } from 'vitest';
import { redirectUriRegistered } from '../../../functions/oauth/clients/redirect-uri.ts';

describe('redirectUriRegistered', () => {
  const v4 = ['http://127.0.0.1/callback'];
  const v6 = ['http://[::1]/callback'];

  it.each([
    ['another port', v4, 'http://127.0.0.1:53412/callback'],
    ['the lowest port', v4, 'http://127.0.0.1:1/callback'],
    ['the highest port', v4, 'http://127.0.0.1:65535/callback'],
    ['no port', v4, 'http://127.0.0.1/callback'],
    ['no port, when the registration has one', ['http://127.0.0.1:8080/callback'], 'http://127.0.0.1/callback'],
    ['another port than the registered one', ['http://127.0.0.1:8080/callback'], 'http://127.0.0.1:9090/callback'],
    ['the same query', ['http://127.0.0.1/callback?app=cli'], 'http://127.0.0.1:4242/callback?app=cli'],
    ['no path at all', ['http://127.0.0.1'], 'http://127.0.0.1:4242'],
    ['a query and no path', ['http://127.0.0.1?x=1'], 'http://127.0.0.1:4242?x=1'],
    ['IPv6 [::1], another port', v6, 'http://[::1]:53412/callback'],
    ['IPv6 [::1], no port', ['http://[::1]:8080/callback'], 'http://[::1]/callback'],
    ['an exact https URI', ['https://app.example.com/cb'], 'https://app.example.com/cb'],
    ['an exact localhost URI', ['http://localhost:3000/cb'], 'http://localhost:3000/cb'],
    ['the second registered URI', ['https://app.example.com/cb', 'http://127.0.0.1/cb'], 'http://127.0.0.1:7/cb'],
  ])('matches %s', (_why, registered, requested) => {
    expect(redirectUriRegistered(registered, requested)).toBe(true);
  });

  it.each([
    ['another loopback address than the registered one', v4, 'http://127.0.0.2:53412/callback'],
    ['IPv4 for a registered IPv6 loopback', v6, 'http://127.0.0.1:53412/callback'],
    ['IPv6 for a registered IPv4 loopback', v4, 'http://[::1]:53412/callback'],
    ['localhost with another port (RFC 8252 §8.3: not a loopback IP literal)', ['http://localhost/callback'], 'http://localhost:53412/callback'],
    ['localhost with no port for a registered port', ['http://localhost:3000/callback'], 'http://localhost/callback'],
    ['localhost for a registered 127.0.0.1', v4, 'http://localhost:53412/callback'],
    ['another path', v4, 'http://127.0.0.1:53412/callback/other'],
    ['a path with a trailing slash', v4, 'http://127.0.0.1:53412/callback/'],
    ['a path made equal by dot segments', v4, 'http://127.0.0.1:53412/x/../callback'],
    ['a percent-encoded path', v4, 'http://127.0.0.1:53412/%63allback'],
    ['a path in another case', v4, 'http://127.0.0.1:53412/Callback'],
    ['an added query', v4, 'http://127.0.0.1:53412/callback?x=1'],
    ['another query', ['http://127.0.0.1/callback?a=1'], 'http://127.0.0.1:53412/callback?a=2'],
    ['a missing query', ['http://127.0.0.1/callback?a=1'], 'http://127.0.0.1:53412/callback'],
    ['a fragment', v4, 'http://127.0.0.1:53412/callback#x'],
    ['an empty fragment', v4, 'http://127.0.0.1/callback#'],
    ['https on the loopback, another port', ['https://127.0.0.1/callback'], 'https://127.0.0.1:8443/callback'],
    ['https for a registered http loopback', v4, 'https://127.0.0.1:8443/callback'],
    ['the scheme in upper case', v4, 'HTTP://127.0.0.1:53412/callback'],
    ['the scheme in mixed case, no port', v4, 'Http://127.0.0.1/callback'],
    ['a host that begins with the loopback address', v4, 'http://127.0.0.1.evil.com/callback'],
    ['a host that begins with the loopback address and a port', v4, 'http://127.0.0.1.evil.com:53412/callback'],
    ['credentials naming the loopback address', v4, 'http://127.0.0.1@evil.com/callback'],
    ['credentials naming the loopback address and a port', v4, 'http://127.0.0.1:53412@evil.com/callback'],
    ['a backslash after the host', v4, 'http://127.0.0.1:53412\\@evil.com/callback'],
    ['another spelling of the address', v4, 'http://127.1:53412/callback'],
    ['the address as a number', v4, 'http://2130706433:53412/callback'],
    ['a long form of [::1]', v6, 'http://[0:0:0:0:0:0:0:1]:53412/callback'],
    ['an empty port', v4, 'http://127.0.0.1:/callback'],
    ['port 0', v4, 'http://127.0.0.1:0/callback'],
    ['a port above 65535', v4, 'http://127.0.0.1:65536/callback'],
    ['a port with a leading zero', v4, 'http://127.0.0.1:08080/callback'],
    ['a port with a sign', v4, 'http://127.0.0.1:+80/callback'],
    ['a percent-encoded host', v4, 'http://127.0.0.%31:53412/callback'],
    ['another port on an https URI', ['https://app.example.com/cb'], 'https://app.example.com:444/cb'],
    ['nothing registered', [], 'http://127.0.0.1:53412/callback'],
  ])('does not match %s', (_why, registered, requested) => {
    expect(redirectUriRegistered(registered, requested)).toBe(false);
  });
});
