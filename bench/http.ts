import { Agent, request } from 'node:http';

/** A request that did not get the answer the bench needs: the run stops on it, nothing is counted. */
export class RequestFailed extends Error {
  readonly status: number;
  readonly body: string;

  constructor(what: string, status: number, body: string) {
    super(`${what} answered ${status}: ${body.slice(0, 300)}`);
    this.name = 'RequestFailed';
    this.status = status;
    this.body = body;
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export const basic = (clientId: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

/**
 * A small keep-alive HTTP/1.1 client (node:http, lighter than fetch) for the measured
 * requests: one socket per worker, as a load balancer in front of the service would keep.
 */
export class HttpClient {
  readonly #host: string;
  readonly #port: number;
  readonly #agent: Agent;

  constructor(baseUrl: string, sockets: number) {
    const url = new URL(baseUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: this.#host,
          port: this.#port,
          method,
          path,
          agent: this.#agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: response.headers }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** POST a form; anything but 200 with a JSON body throws {@link RequestFailed}. */
  async postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const answer = await this.send('POST', path, form(fields), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
    return expectJson(`POST ${path}`, answer, 200);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The JSON body of an answer with exactly `status`; anything else throws {@link RequestFailed}. */
export function expectJson(what: string, answer: Pick<HttpAnswer, 'status' | 'body'>, status: number): Record<string, unknown> {
  if (answer.status !== status) throw new RequestFailed(what, answer.status, answer.body);
  try {
    return JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    throw new RequestFailed(`${what} (body is not JSON)`, answer.status, answer.body);
  }
}

/** A token response must hold the tokens the grant promises, or the request is a failure. */
export function expectTokens(what: string, body: Record<string, unknown>, fields: readonly string[]): Record<string, string> {
  for (const field of fields) {
    if (typeof body[field] !== 'string' || body[field] === '') throw new RequestFailed(`${what} (no ${field})`, 200, JSON.stringify(body));
  }
  return body as Record<string, string>;
}
