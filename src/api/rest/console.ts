import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run web:build` puts the console (web/dist), from this file in src/ or in dist/. */
export const DEFAULT_CONSOLE_DIR = path.resolve(import.meta.dirname, '../../../web/dist');

/** Paths that belong to the server, never to the console: an unknown one stays a 404 in the envelope. */
const SERVER_PATHS = /^\/(api|docs|openapi\.(json|yaml)|health|ready|metrics)(\/|$)/;

/**
 * The console's security policy: scripts and styles only from this server (Mantine sets inline
 * styles on elements), the API and its WebSocket on this origin, never inside another site's frame.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built web console at `/`: its files, and `index.html` for every other GET of a
 * console path (the app routes in the browser), so a reload on `/fleet/…` works. Hashed assets are
 * cached for a year; `index.html` is revalidated every time, so a new build is picked up at once.
 * Nothing is registered when the console has not been built (an API-only deployment).
 */
export function consoleRoutes(dir: string = DEFAULT_CONSOLE_DIR) {
  return async (app: FastifyInstance): Promise<void> => {
    if (!existsSync(path.join(dir, 'index.html'))) {
      app.log.warn({ dir }, 'the web console is not built (npm run web:build): serving the API only');
      return;
    }
    // Its own Cache-Control off: the headers below say what may be cached.
    await app.register(fastifyStatic, { root: dir, serve: false, cacheControl: false });
    const sendIndex = (reply: FastifyReply) =>
      reply
        .header('Cache-Control', 'no-cache')
        .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Referrer-Policy', 'same-origin')
        .sendFile('index.html');
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const pathname = decodeURIComponent((request.url.split('?')[0] ?? '/').replace(/\/+$/, '') || '/');
      if (SERVER_PATHS.test(pathname)) return reply.callNotFound();
      const file = path.join(dir, pathname);
      if (pathname !== '/' && file.startsWith(dir + path.sep) && (await isFile(file))) {
        const immutable = pathname.startsWith('/assets/');
        return reply
          .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .header('X-Content-Type-Options', 'nosniff')
          .sendFile(path.relative(dir, file));
      }
      // A missing asset is a 404, not the app: a stale page asking for an old chunk must learn it.
      if (pathname.startsWith('/assets/') || !acceptsHtml(request)) return reply.callNotFound();
      return sendIndex(reply);
    };
    const options = { config: { public: true, fallback: true }, schema: { hide: true } };
    app.get('/', options, handler);
    app.get('/*', options, handler);
  };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

const acceptsHtml = (request: FastifyRequest) => {
  const accept = request.headers.accept;
  return accept === undefined || accept.includes('text/html') || accept.includes('*/*');
};
