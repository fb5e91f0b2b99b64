import { App } from 'aws-cdk-lib';
import { LifespanStack } from './lifespan-stack.ts';

const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const keySpec = (name: string) => {
  const value = context(name);
  if (value === undefined || value === 'RSA_2048' || value === 'ECC_NIST_P256') return value;
  throw new TypeError(`context ${name} must be RSA_2048 or ECC_NIST_P256`);
};
const stage = context('stage') ?? 'prod';
const activeKeySlot = context('activeKeySlot');
if (activeKeySlot !== undefined && activeKeySlot !== 'current' && activeKeySlot !== 'next') {
  throw new TypeError('context activeKeySlot must be current or next');
}
const issuer = context('issuer');
const spec = keySpec('keySpec');
const nextSpec = keySpec('nextKeySpec');

new LifespanStack(app, `Lifespan-${stage}`, {
  stage,
  ...(issuer && { issuer }),
  ...(spec && { keySpec: spec }),
  ...(nextSpec && { nextKeySpec: nextSpec }),
  ...(activeKeySlot && { activeKeySlot }),
  env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] },
});
