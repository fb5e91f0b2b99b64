import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Bundled in place of `@aws-sdk/credential-provider-node` (infra/constructs/handler-function.ts):
 * Lambda hands a function its role's credentials in environment variables, so the SDK's full
 * chain (SSO, INI files, web identity, with their own STS clients, about 130 KB) is never used
 * there and only slows the cold start.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
