import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecdsaDerToRaw } from '../../../functions/adapters/kms/der.ts';
import { SigningError } from '../../../functions/oauth/jws.ts';

const hex = (value: string) => Uint8Array.from(Buffer.from(value.replaceAll(' ', ''), 'hex'));
const repeat = (byte: string, count: number) => byte.repeat(count);

describe('ecdsaDerToRaw', () => {
  it('copies two full 32-byte integers', () => {
    const r = repeat('11', 32);
    const s = repeat('22', 32);
    expect(Buffer.from(ecdsaDerToRaw(hex(`3044 0220${r} 0220${s}`))).toString('hex')).toBe(r + s);
  });

  it('drops the 0x00 that keeps a high bit from reading as a sign', () => {
    const r = `ff${repeat('01', 31)}`;
    const s = `80${repeat('02', 31)}`;
    expect(Buffer.from(ecdsaDerToRaw(hex(`3046 022100${r} 022100${s}`))).toString('hex')).toBe(r + s);
  });

  it('left-pads short integers to 32 bytes', () => {
    const raw = ecdsaDerToRaw(hex(`3026 0201 05 0221 00${'ff'}${repeat('03', 31)}`));
    expect(raw).toHaveLength(64);
    expect(Buffer.from(raw).toString('hex')).toBe(`${repeat('00', 31)}05ff${repeat('03', 31)}`);
  });

  it('matches node:crypto’s IEEE P1363 encoding of real signatures', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let round = 0; round < 50; round += 1) {
      const message = Buffer.from(`message ${round}`);
      const raw = ecdsaDerToRaw(sign('sha256', message, privateKey));
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    }
  });

  it.each([
    ['empty input', ''],
    ['a wrong outer tag', `3144 0220${repeat('11', 32)} 0220${repeat('22', 32)}`],
    ['a sequence length that disagrees', `3045 0220${repeat('11', 32)} 0220${repeat('22', 32)}`],
    ['trailing bytes', `3044 0220${repeat('11', 32)} 0220${repeat('22', 32)} 00`],
    ['a truncated integer', `3024 0220${repeat('11', 32)} 0220`],
    ['a wrong integer tag', `3044 0320${repeat('11', 32)} 0220${repeat('22', 32)}`],
    ['a negative integer', `3044 0220${repeat('ff', 32)} 0220${repeat('22', 32)}`],
    ['a non-minimal zero prefix', `3045 022100${repeat('11', 32)} 0220${repeat('22', 32)}`],
    ['an integer longer than 32 bytes', `3046 022101${repeat('11', 32)} 0220${repeat('22', 32)}`],
    ['a zero integer', `3025 0201 00 0220${repeat('22', 32)}`],
    ['an empty integer', `3024 0200 0220${repeat('22', 32)}`],
    ['a long-form length', `30820044 0220${repeat('11', 32)} 0220${repeat('22', 32)}`],
  ])('rejects %s', (_, input) => {
    let thrown: unknown;
    try {
      ecdsaDerToRaw(hex(input));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SigningError);
    expect(thrown).toMatchObject({ code: 'ERR_SIGNATURE_MALFORMED', message: expect.stringMatching(/^malformed DER ECDSA signature: /) });
  });
});
