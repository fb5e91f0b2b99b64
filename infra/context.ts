/**
 * Stack props from CDK context (`-c name=value` or cdk.json), checked: a typo in a deploy
 * command fails synthesis with the context name instead of deploying a default.
 */
import type { KeySlot, SigningKeySpec } from './constructs/signing-keys.ts';
import type { LifespanStackProps } from './lifespan-stack.ts';

/** Reads one context value; `App.node.tryGetContext` fits. */
export type ContextReader = (name: string) => unknown;

/** Every context name the app reads. */
export const CONTEXT_NAMES = [
  'stage',
  'issuer',
  'domainName',
  'certificateArn',
  'loginUrl',
  'deviceVerificationUrl',
  'keySpec',
  'nextKeySpec',
  'activeKeySlot',
  'alarmEmail',
  'throttlingRateLimit',
  'throttlingBurstLimit',
  'serverErrorRatePercent',
  'tableDeletionProtection',
  'rotationHistory',
  'tracing',
  'eventBusArn',
  'securityEventTokens',
  'reuseAlarmThreshold',
] as const;

type ContextName = (typeof CONTEXT_NAMES)[number];

function text(read: ContextReader, name: ContextName): string | undefined {
  const value = read(name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new TypeError(`context ${name} must be a string`);
  return value;
}

function oneOf<T extends string>(read: ContextReader, name: ContextName, values: readonly T[]): T | undefined {
  const value = text(read, name);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) throw new TypeError(`context ${name} must be one of ${values.join(', ')}, not ${value}`);
  return value as T;
}

function number(read: ContextReader, name: ContextName): number | undefined {
  const value = text(read, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(parsed)) throw new TypeError(`context ${name} must be a number, not ${value}`);
  return parsed;
}

const KEY_SPECS: readonly SigningKeySpec[] = ['RSA_2048', 'ECC_NIST_P256'];

/**
 * The stack's id (`Lifespan-<stage>`) and props from context.
 *
 * @example
 * const { id, props } = stackFromContext((name) => app.node.tryGetContext(name));
 */
export function stackFromContext(read: ContextReader): { readonly id: string; readonly props: LifespanStackProps } {
  const stage = text(read, 'stage') ?? 'prod';
  const props: Record<string, unknown> = { stage };
  const set = (name: keyof LifespanStackProps, value: unknown) => {
    if (value !== undefined) props[name] = value;
  };
  for (const name of ['issuer', 'domainName', 'certificateArn', 'loginUrl', 'deviceVerificationUrl', 'alarmEmail', 'eventBusArn'] as const) {
    set(name, text(read, name));
  }
  set('keySpec', oneOf<SigningKeySpec | 'none'>(read, 'keySpec', [...KEY_SPECS, 'none']));
  set('nextKeySpec', oneOf<SigningKeySpec>(read, 'nextKeySpec', KEY_SPECS));
  set('activeKeySlot', oneOf<KeySlot>(read, 'activeKeySlot', ['current', 'next']));
  set('throttlingRateLimit', number(read, 'throttlingRateLimit'));
  set('throttlingBurstLimit', number(read, 'throttlingBurstLimit'));
  set('serverErrorRatePercent', number(read, 'serverErrorRatePercent'));
  set('reuseAlarmThreshold', number(read, 'reuseAlarmThreshold'));
  const protection = oneOf(read, 'tableDeletionProtection', ['true', 'false']);
  if (protection !== undefined) props['tableDeletionProtection'] = protection === 'true';
  const history = oneOf(read, 'rotationHistory', ['true', 'false']);
  if (history !== undefined) props['rotationHistory'] = history === 'true';
  const tracing = oneOf(read, 'tracing', ['true', 'false']);
  if (tracing !== undefined) props['tracing'] = tracing === 'true';
  const sets = oneOf(read, 'securityEventTokens', ['true', 'false']);
  if (sets !== undefined) props['securityEventTokens'] = sets === 'true';
  // Every key set above is a LifespanStackProps field with a value checked for it.
  return { id: `Lifespan-${stage}`, props: props as LifespanStackProps };
}
