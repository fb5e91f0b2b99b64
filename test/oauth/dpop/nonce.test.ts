import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacDpopNonces, NONCE_WINDOW_SECONDS } from '../../../functions/oauth/dpop/nonce.ts';

const now = Math.floor(Date.now() / 1000);

describe('HmacDpopNonces', () => {
  const key = randomBytes(32);
  const nonces = new HmacDpopNonces(key);

  it('accepts its own nonce in its window and the next, not later, not earlier', async () => {
    const nonce = await nonces.issue(now);
    expect(await nonces.accepts(nonce, now)).toBe(true);
    expect(await nonces.accepts(nonce, now + NONCE_WINDOW_SECONDS)).toBe(true);
    expect(await nonces.accepts(nonce, now + 2 * NONCE_WINDOW_SECONDS)).toBe(false);
    expect(await nonces.accepts(nonce, now - NONCE_WINDOW_SECONDS)).toBe(false);
  });

  it('any instance with the same key accepts it (stateless); another key does not', async () => {
    const nonce = await nonces.issue(now);
    expect(await new HmacDpopNonces(Buffer.from(key)).accepts(nonce, now)).toBe(true);
    expect(await new HmacDpopNonces(randomBytes(32)).accepts(nonce, now)).toBe(false);
  });

  it('refuses forged and malformed nonces', async () => {
    const [window] = (await nonces.issue(now)).split('.');
    for (const forged of [`${window}.${'A'.repeat(22)}`, '', 'x', `${window}.`, `${window}.${'A'.repeat(23)}`, 'ZZZZZZZZZZZZZ.AAAAAAAAAAAAAAAAAAAAAA']) {
      expect(await nonces.accepts(forged, now)).toBe(false);
    }
  });

  it('refuses a short key', () => {
    expect(() => new HmacDpopNonces(randomBytes(16))).toThrow(TypeError);
  });
});
