import { GetParametersByPathCommand, type GetParametersByPathCommandOutput } from '@aws-sdk/client-ssm';
import { parameterPrefix } from '../../lifetimes/parameters.ts';
import type { ParameterSource } from '../../lifetimes/source.ts';

/** The one call this adapter makes; an `SSMClient` fits, and so does a fake in tests. */
export interface SsmParametersClient {
  send(command: GetParametersByPathCommand): Promise<GetParametersByPathCommandOutput>;
}

export interface SsmParameterSourceOptions {
  /** Injected so the caller owns region, retries and credentials. */
  readonly client: SsmParametersClient;
  /** Deployment stage: parameters are read from `/lifespan/<stage>/`. */
  readonly stage: string;
}

// SSM's maximum page size for GetParametersByPath.
const PAGE_SIZE = 10;
// 10,000 parameters; far beyond any real configuration, it only stops a service that keeps answering with a NextToken.
const MAX_PAGES = 1000;

/**
 * Reads every parameter under `/lifespan/<stage>/` (recursively, decrypted), following
 * `NextToken` through all pages, and keys the values by name relative to that prefix.
 * SSM errors (throttling, access denied) propagate: the configuration store decides.
 *
 * IAM: `ssm:GetParametersByPath` on `arn:aws:ssm:<region>:<account>:parameter/lifespan/<stage>/*`
 * (and `kms:Decrypt` for SecureString values).
 *
 * @example
 * const source = new SsmParameterSource({ client: new SSMClient({}), stage: 'prod' });
 * await source.load(); // Map { 'access_token_ttl' => '900', 'clients/web/access_token_ttl' => '300' }
 */
export class SsmParameterSource implements ParameterSource {
  readonly #client: SsmParametersClient;
  readonly #prefix: string;

  constructor(options: SsmParameterSourceOptions) {
    if (typeof options?.client?.send !== 'function') throw new TypeError('options.client must be an SSM client');
    this.#client = options.client;
    this.#prefix = parameterPrefix(options.stage);
  }

  async load(): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (++pages > MAX_PAGES) throw new Error(`GetParametersByPath ${this.#prefix}: more than ${MAX_PAGES} pages`);
      const page = await this.#client.send(
        new GetParametersByPathCommand({
          Path: this.#prefix,
          Recursive: true,
          WithDecryption: true,
          MaxResults: PAGE_SIZE,
          NextToken: nextToken,
        }),
      );
      for (const { Name, Value } of page.Parameters ?? []) {
        if (Name?.startsWith(this.#prefix) && Value !== undefined) values.set(Name.slice(this.#prefix.length), Value);
      }
      // SSM may return a short or even empty page with a NextToken; only its absence ends the listing.
      nextToken = page.NextToken;
    } while (nextToken);
    return values;
  }
}
