import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackFromContext } from './context.ts';
import { LifespanStack } from './lifespan-stack.ts';

const app = new App();
try {
  const { id, props } = stackFromContext((name) => app.node.tryGetContext(name));
  new LifespanStack(app, id, {
    ...props,
    env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] },
  });
} catch (error) {
  // Props and context are validated with TypeErrors that name the setting: show just that.
  if (!(error instanceof TypeError)) throw error;
  process.stderr.write(`lifespan: ${error.message}\n`);
  process.exit(1);
}
// Every synth and deploy runs the AWS Solutions checks (cdk-nag 3, a CDK validation plugin):
// a finding without a written acknowledgement stops it. The test suite asserts the same.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
