import { describe, expect, it } from 'vitest';
import { settleParameters, snapshotOf } from '../../functions/lifetimes/config.ts';
import { humanDuration, lifetimesPage } from '../../functions/lifetimes/picture.ts';

const snapshot = (raw: Record<string, string>) => snapshotOf(settleParameters(new Map(Object.entries(raw)), new Map()), 0);

describe('humanDuration', () => {
  it.each([
    [0, '0 s'],
    [45, '45 s'],
    [900, '15 min'],
    [5400, '1 h 30 min'],
    [86_400, '1 d'],
    [90_061, '1 d 1 h'],
    [31_536_000, '365 d'],
  ])('%i s is %s', (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });
});

describe('lifetimesPage', () => {
  it('is one self-contained document: no script, no stylesheet, font or image to fetch', () => {
    const html = lifetimesPage(snapshot({ 'profiles/kiosk/session_idle_ttl': '300' }), [{}, { profile: 'kiosk' }], { source: '/lifespan/prod/' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|@font-face|url\(|\bsrc=|\bhref=/i);
    expect(html.match(/<section class="view"/g)).toHaveLength(2);
  });

  it('escapes what the configuration names', () => {
    const html = lifetimesPage(snapshot({}), [{ clientId: '<b>x</b>', audience: 'a"b' }], { source: '<file>' });
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('a"b');
    expect(html).toContain('&#60;b&#62;x&#60;/b&#62;');
  });

  it('leaves the M2M bar out under a profile and for a public client, and the browser bar out for a confidential one', () => {
    const rows = (html: string) => [...html.matchAll(/data-row="([a-z_]+)"/g)].map((match) => match[1]);
    const config = snapshot({ 'profiles/kiosk/access_token_ttl': '60' });
    expect(rows(lifetimesPage(config, [{}], { source: 's' }))).toEqual([
      'access_token', 'access_token_browser', 'client_credentials', 'id_token', 'authorization_code',
      'refresh_idle', 'refresh_absolute', 'session_idle', 'session_absolute',
    ]);
    expect(rows(lifetimesPage(config, [{ profile: 'kiosk' }], { source: 's' }))).not.toContain('client_credentials');
    expect(rows(lifetimesPage(config, [{ clientType: 'public' }], { source: 's' }))).toEqual([
      'access_token_browser', 'id_token', 'authorization_code', 'refresh_idle', 'refresh_absolute', 'session_idle', 'session_absolute',
    ]);
    expect(rows(lifetimesPage(config, [{ clientType: 'confidential' }], { source: 's' }))).not.toContain('access_token_browser');
  });
});
