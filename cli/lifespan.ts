#!/usr/bin/env node
/**
 * The `lifespan` command (`npx lifespan --help`): lifetime parameters in SSM, checked by the
 * service's own guardrails. Node 22 runs this TypeScript file directly.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2), {
  output: {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  },
  ssm: ({ region }) => new SSMClient(region !== undefined ? { region } : {}),
});
