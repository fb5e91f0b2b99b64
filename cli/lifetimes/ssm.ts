import {
  PutParameterCommand,
  type GetParametersByPathCommand,
  type GetParametersByPathCommandOutput,
  type PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import { SsmParameterSource } from '../../functions/adapters/ssm/ssm-parameter-source.ts';
import { parameterPath } from '../../functions/lifetimes/parameters.ts';
import { SourceUnavailableError } from '../io.ts';

/** The two SSM calls the CLI makes; an `SSMClient` fits, and so does a fake in tests. */
export interface LifetimesSsmClient {
  send(command: GetParametersByPathCommand): Promise<GetParametersByPathCommandOutput>;
  send(command: PutParameterCommand): Promise<PutParameterCommandOutput>;
}

/** SSM failed (not the operator's input): reported with exit code 3. */
export class SsmUnavailableError extends SourceUnavailableError {
  override readonly name = 'SsmUnavailableError';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Every raw value under `/lifespan/<stage>/`, all pages, keyed by relative name: read by the
 * service's own adapter, so the CLI sees exactly what the functions see.
 */
export async function loadRaw(client: LifetimesSsmClient, stage: string): Promise<Map<string, string>> {
  try {
    return await new SsmParameterSource({ client, stage }).load();
  } catch (error) {
    throw new SsmUnavailableError(`could not read /lifespan/${stage}/ from SSM (${describe(error)})`, { cause: error });
  }
}

/** Writes one value (a String parameter, replacing any previous value). Call only after validation. */
export async function putValue(client: LifetimesSsmClient, stage: string, relative: string, value: string): Promise<string> {
  const name = parameterPath(stage, relative);
  try {
    await client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
  } catch (error) {
    throw new SsmUnavailableError(`could not write ${name} to SSM (${describe(error)})`, { cause: error });
  }
  return name;
}
