/**
 * A child process of `npm run bench` that runs one server (Lifespan's local server or
 * node-oidc-provider), makes its fixtures, and answers CPU reads over IPC (bench/servers.ts).
 */
import { startLifespan } from './lifespan.ts';
import { startPeer } from './peer.ts';
import type { Fixtures, ServerOptions } from './servers.ts';

const send = (message: unknown) => process.send?.(message);
try {
  const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
  const fixtures: Fixtures = options.kind === 'peer' ? await startPeer(options.families) : await startLifespan(options.dynamoDbEndpoint, options.families);
  const { close, ...reported } = fixtures;
  process.on('message', (message: { type: string; id?: number }) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', id: message.id, cpuUs: user + system });
    }
    if (message.type === 'stop') void close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', fixtures: reported });
} catch (error) {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
}
