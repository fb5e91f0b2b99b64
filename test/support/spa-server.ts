import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freePort } from '../../functions/local/dynamodb-local.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export interface SpaServer {
  /** The app's origin (`http://localhost:<port>`): another origin, and another site, than the issuer's 127.0.0.1. */
  readonly origin: string;
  close(): Promise<void>;
}

/** oidc-client-ts bundled for the browser (an IIFE that sets `window.oidc`), in memory: nothing generated lands in the tree. */
async function bundleClientLibrary(): Promise<string> {
  const result = await build({
    stdin: { contents: "import * as oidc from 'oidc-client-ts'; window.oidc = oidc;", resolveDir: HERE, loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * The example SPA of `test/support/spa/` on a port of its own, configured for `issuer` and
 * `clientId`. Every other path (`/`, `/callback`, `/signed-out`) is the app's page.
 */
export async function startSpa(config: { issuer: string; clientId: string }, port?: number): Promise<SpaServer> {
  const [library, app, index] = await Promise.all([
    bundleClientLibrary(),
    readFile(`${HERE}spa/app.js`, 'utf8'),
    readFile(`${HERE}spa/index.html`, 'utf8'),
  ]);
  const files: Record<string, string> = {
    '/oidc-client-ts.js': library,
    '/app.js': app,
    '/config.js': `window.APP_CONFIG = ${JSON.stringify(config)};`,
  };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const script = files[path];
    response.writeHead(200, { 'Content-Type': script === undefined ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(script ?? index);
  });
  const listenOn = port ?? (await freePort());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenOn, '127.0.0.1', resolve);
  });
  return {
    origin: `http://localhost:${listenOn}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
