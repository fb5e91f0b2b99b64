import {
  GetParametersByPathCommand,
  PutParameterCommand,
  type GetParametersByPathCommandOutput,
  type Parameter,
  type PutParameterCommandInput,
  type PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import type { LifetimesSsmClient } from '../../cli/lifetimes/ssm.ts';

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * An in-memory Parameter Store answering the CLI's two calls the way SSM does:
 * GetParametersByPath pages of at most 10 with an opaque NextToken (recursive or not);
 * PutParameter requires a Type for a new parameter, refuses to replace one without Overwrite,
 * and bumps the version. Every PutParameter is recorded, accepted or not.
 */
export class FakeSsm implements LifetimesSsmClient {
  readonly parameters = new Map<string, { value: string; type: string; version: number }>();
  readonly puts: PutParameterCommandInput[] = [];
  readonly reads: Array<GetParametersByPathCommand['input']> = [];
  /** Thrown by every call while set (throttling, access denied…). */
  failWith: Error | undefined;

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.parameters.set(name, { value, type: 'String', version: 1 });
  }

  /** The stored values, by full name. */
  values(): Record<string, string> {
    return Object.fromEntries([...this.parameters].map(([name, { value }]) => [name, value]));
  }

  send(command: GetParametersByPathCommand): Promise<GetParametersByPathCommandOutput>;
  send(command: PutParameterCommand): Promise<PutParameterCommandOutput>;
  async send(command: GetParametersByPathCommand | PutParameterCommand): Promise<GetParametersByPathCommandOutput | PutParameterCommandOutput> {
    if (command instanceof PutParameterCommand) return this.#put(command.input);
    if (command instanceof GetParametersByPathCommand) return this.#byPath(command.input);
    throw new Error('unexpected command');
  }

  #put(input: PutParameterCommandInput): PutParameterCommandOutput {
    this.puts.push(input);
    if (this.failWith) throw this.failWith;
    if (!input.Name?.startsWith('/') || input.Value === undefined) throw awsError('ValidationException', 'Name and Value are required');
    const existing = this.parameters.get(input.Name);
    if (existing && !input.Overwrite) throw awsError('ParameterAlreadyExists', `The parameter ${input.Name} already exists.`);
    const type = input.Type ?? existing?.type;
    if (type === undefined) throw awsError('ValidationException', 'Type is required for a new parameter');
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(input.Name, { value: input.Value, type, version });
    return { Version: version, Tier: 'Standard', $metadata: {} };
  }

  #byPath(input: GetParametersByPathCommand['input']): GetParametersByPathCommandOutput {
    this.reads.push(input);
    if (this.failWith) throw this.failWith;
    const pageSize = input.MaxResults ?? 10;
    if (pageSize < 1 || pageSize > 10) throw awsError('ValidationException', 'MaxResults must be between 1 and 10');
    const path = input.Path?.endsWith('/') ? input.Path : `${input.Path ?? ''}/`;
    const matching: Parameter[] = [...this.parameters]
      .filter(([name]) => name.startsWith(path) && (input.Recursive || !name.slice(path.length).includes('/')))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([Name, { value, type, version }]) => ({ Name, Value: value, Type: type === 'SecureString' ? 'SecureString' : 'String', Version: version }));
    const offset = input.NextToken === undefined ? 0 : Number(Buffer.from(input.NextToken, 'base64url').toString());
    if (!Number.isInteger(offset) || offset < 0) throw awsError('ValidationException', 'invalid NextToken');
    const next = offset + pageSize < matching.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
    return { Parameters: matching.slice(offset, offset + pageSize), NextToken: next, $metadata: {} };
  }
}
