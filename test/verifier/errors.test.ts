import { describe, expect, expectTypeOf, it } from 'vitest';
import * as verifier from '../../functions/verifier/index.ts';
import type { AnyVerificationError, VerificationErrorCode } from '../../functions/verifier/index.ts';

/** What a caller of `lifespan/verifier` relies on: one union of the errors, its codes exactly the published ones. */
describe('AnyVerificationError', () => {
  it('has exactly the codes of VerificationErrorCode', () => {
    expectTypeOf<AnyVerificationError['code']>().toEqualTypeOf<VerificationErrorCode>();
  });

  it('narrows by code, exhaustively', () => {
    const status = (error: AnyVerificationError): number => {
      switch (error.code) {
        case 'missing_scope':
          return 403;
        case 'insufficient_user_authentication':
          return 401;
        case 'jwks_unavailable':
        case 'introspection_unavailable':
        case 'dpop_replay_store_unavailable':
          return 503;
        default:
          return error instanceof verifier.InvalidToken || error instanceof verifier.InvalidDpopProof ? 401 : Number.NaN;
      }
    };
    expect(status(new verifier.TokenExpired('token expired'))).toBe(401);
    expect(status(new verifier.JwksUnavailable('down'))).toBe(503);
  });

  it('every concrete error class the package exports is in the union (a new one must be added)', () => {
    const concrete = Object.entries(verifier).filter(
      ([, value]) => typeof value === 'function' && value.prototype instanceof verifier.VerificationError && !['InvalidToken', 'InvalidDpopProof', 'VerifierUnavailable'].includes(value.name),
    );
    expect(concrete.map(([name]) => name).sort()).toHaveLength(20);
  });
});
