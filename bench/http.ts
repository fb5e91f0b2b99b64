import { connect, type Socket } from 'node:net';

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

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection that carries one request at a time. */
class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: { resolve: (answer: HttpAnswer) => void; reject: (error: Error) => void } | undefined;
  #broken: Error | undefined;

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#socket.on('error', (error) => this.#fail(error));
    this.#socket.on('close', () => this.#fail(new Error('the server closed the connection')));
  }

  get usable(): boolean {
    return this.#broken === undefined;
  }

  send(request: Buffer): Promise<HttpAnswer> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#socket.write(request);
    });
  }

  close(): void {
    this.#broken ??= new Error('closed');
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    this.#broken ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }

  /** Parses one response with a Content-Length (what the local server always sends). */
  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const end = this.#buffer.indexOf(HEADER_END);
    if (end === -1) return;
    const [statusLine = '', ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length']);
    if (!Number.isInteger(length)) {
      this.#fail(new Error(`response without Content-Length: ${statusLine}`));
      this.#socket.destroy();
      return;
    }
    const bodyStart = end + HEADER_END.length;
    if (this.#buffer.length < bodyStart + length) return;
    const body = this.#buffer.subarray(bodyStart, bodyStart + length).toString('utf8');
    this.#buffer = this.#buffer.subarray(bodyStart + length);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve({ status: Number(statusLine.split(' ')[1]), body, headers });
  }
}

/**
 * The load generator's HTTP/1.1 client: keep-alive connections, one request at a time on
 * each, the request written in one piece and the response read by its Content-Length. It is
 * not the service being measured, so it does as little as it can, as wrk or autocannon do (a
 * node:http client cost ~0.1 ms of this process's CPU per request, on the service's side of
 * the ratio only).
 */
export class HttpClient {
  readonly #host: string;
  readonly #port: number;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
  }

  async send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#host}:${this.#port}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    if (payload !== undefined) head += `content-length: ${payload.length}\r\n`;
    const request = payload === undefined ? Buffer.from(`${head}\r\n`, 'latin1') : Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]);
    let connection = this.#idle.pop();
    while (connection !== undefined && !connection.usable) connection = this.#idle.pop();
    if (connection === undefined) {
      connection = new Connection(this.#host, this.#port);
      this.#all.add(connection);
    }
    const answer = await connection.send(request);
    if (answer.headers['connection'] === 'close') {
      connection.close();
      this.#all.delete(connection);
    } else {
      this.#idle.push(connection);
    }
    return answer;
  }

  /** POST a form; anything but 200 with a JSON body throws {@link RequestFailed}. */
  async postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const answer = await this.send('POST', path, form(fields), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
    return expectJson(`POST ${path}`, answer, 200);
  }

  close(): void {
    for (const connection of this.#all) connection.close();
    this.#all.clear();
    this.#idle.length = 0;
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
