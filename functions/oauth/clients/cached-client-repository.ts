import type { Clock } from '../clock.ts';
import type { Client, ClientRepository } from './client.ts';

/**
 * Keeps client records (and their absence) in memory for `maxAgeMs`, so the token endpoint
 * does not read the table for the client on every request. A deleted client therefore keeps
 * working for at most `maxAgeMs` in an environment that had it cached.
 */
export class CachedClientRepository implements ClientRepository {
  readonly #inner: ClientRepository;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #entries = new Map<string, { at: number; client: Promise<Client | undefined> }>();

  constructor(inner: ClientRepository, clock: Clock, maxAgeMs = 5_000) {
    if (!(maxAgeMs >= 0 && maxAgeMs <= 60_000)) throw new TypeError('maxAgeMs must be within [0, 60000]');
    this.#inner = inner;
    this.#clock = clock;
    this.#maxAgeMs = maxAgeMs;
  }

  get(clientId: string): Promise<Client | undefined> {
    const now = this.#clock.now();
    const entry = this.#entries.get(clientId);
    if (entry && now - entry.at < this.#maxAgeMs && now >= entry.at) return entry.client;
    const client = this.#inner.get(clientId);
    this.#entries.set(clientId, { at: now, client });
    client.catch(() => this.#entries.delete(clientId));
    if (this.#entries.size > 10_000) this.#entries.delete(this.#entries.keys().next().value!);
    return client;
  }

  async create(client: Client): Promise<void> {
    await this.#inner.create(client);
    this.#entries.delete(client.clientId);
  }

  async delete(clientId: string): Promise<boolean> {
    this.#entries.delete(clientId);
    return this.#inner.delete(clientId);
  }
}
