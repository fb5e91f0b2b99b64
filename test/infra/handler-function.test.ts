import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REQUEST_WORST_CASE_MS } from '../../functions/runtime/aws-clients.ts';
import { HandlerFunction, type HandlerFunctionProps } from '../../infra/constructs/handler-function.ts';

function build(props: Partial<HandlerFunctionProps> = {}): Template {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  new HandlerFunction(stack, 'Fn', { group: 'discovery', stage: 'test', environment: {}, ...props });
  return Template.fromStack(stack);
}

describe('HandlerFunction timeout', () => {
  it('defaults to 20 s: above the worst case of one request\'s AWS calls, below API Gateway\'s 30 s', () => {
    expect(REQUEST_WORST_CASE_MS).toBeLessThan(20_000);
    build().hasResourceProperties('AWS::Lambda::Function', { Timeout: 20 });
  });

  it('accepts a timeout from just above the worst case up to 29 s', () => {
    build({ timeout: Duration.millis(Math.floor(REQUEST_WORST_CASE_MS / 1000) * 1000 + 1000) });
    build({ timeout: Duration.seconds(29) }).hasResourceProperties('AWS::Lambda::Function', { Timeout: 29 });
  });

  it.each([
    ['the worst case itself', Duration.millis(REQUEST_WORST_CASE_MS)],
    ['the former 10 s default', Duration.seconds(10)],
    ['API Gateway\'s 30 s', Duration.seconds(30)],
    ['a fraction of a second', Duration.millis(20_500)],
  ])('refuses %s with a TypeError naming REQUEST_WORST_CASE_MS', (_, timeout) => {
    expect(() => build({ timeout })).toThrow(TypeError);
    expect(() => build({ timeout })).toThrow(new RegExp(`timeout must be .*above ${REQUEST_WORST_CASE_MS / 1000} .*REQUEST_WORST_CASE_MS.* at most 29`));
  });
});
