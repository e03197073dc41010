import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` puts the web UI, beside the compiled server code. */
export const DEFAULT_UI_DIR = path.resolve(__dirname, '../../../ui');

/**
 * The UI talks to its own origin only, and runs only its own script: a value from a span that
 * somehow became markup still could not load or run anything.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The client-side routes, as Jaeger names them where it has them. */
const APP_ROUTES = ['/', '/search', '/trace/:id', '/compare', '/system', '/scenario'];

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The built UI's files by name; index.html among them. */
export type UiAssets = ReadonlyMap<string, Asset>;

/** Reads the built UI into memory (a few hundred KB); undefined when it was not built. */
export async function loadUiAssets(dir: string): Promise<UiAssets | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { body: await readFile(path.join(dir, name)), type });
  }
  return assets.has('index.html') ? assets : undefined;
}

/**
 * Serves the UI on an app that also serves /api: its files under /ui/, index.html for every
 * client-side route (so a link to /trace/<id> opens that trace), and the CSP on all of them.
 */
export function registerUi(app: FastifyInstance, assets: UiAssets): void {
  const index = assets.get('index.html')!;
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', UI_CSP);
    reply.header('x-content-type-options', 'nosniff');
  });
  for (const route of APP_ROUTES) {
    app.get(route, async (_req, reply) =>
      reply.type(index.type).header('cache-control', 'no-cache').send(index.body),
    );
  }
  app.get<{ Params: { name: string } }>('/ui/:name', async (req, reply) => {
    const asset = req.params.name === 'index.html' ? undefined : assets.get(req.params.name);
    if (!asset) return reply.callNotFound();
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
}
