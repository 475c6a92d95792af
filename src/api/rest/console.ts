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

/** Serves a console path when it is one (true), or leaves the request to the API's 404 (false). */
export type ConsoleFallback = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

/**
 * The built web console at `/`: its files, and `index.html` for every other GET of a console path
 * (the app routes in the browser), so a reload on `/fleet/…` works. It answers only what no route
 * matched — called from the API's not-found handler — so the API's own answers (404, 405, 414 for
 * an oversized path) and its metrics' route labels stay exactly as they are. Hashed assets are
 * cached for a year; `index.html` is revalidated every time, so a new build is picked up at once.
 * Undefined when the console has not been built (an API-only deployment).
 */
export async function registerConsole(
  app: FastifyInstance,
  dir: string = DEFAULT_CONSOLE_DIR,
): Promise<ConsoleFallback | undefined> {
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'the web console is not built (npm run web:build): serving the API only');
    return undefined;
  }
  // Only reply.sendFile; its own Cache-Control off: the headers below say what may be cached.
  await app.register(fastifyStatic, { root: dir, serve: false, cacheControl: false });
  return async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent((request.url.split('?')[0] ?? '/').replace(/\/+$/, '') || '/');
    } catch {
      return false;
    }
    if (SERVER_PATHS.test(pathname)) return false;
    const file = path.join(dir, pathname);
    if (pathname !== '/' && file.startsWith(dir + path.sep) && (await isFile(file))) {
      const immutable = pathname.startsWith('/assets/');
      await reply
        .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .header('X-Content-Type-Options', 'nosniff')
        .sendFile(path.relative(dir, file));
      return true;
    }
    // A missing file is a 404, not the app: a stale page asking for an old chunk must learn it, and a
    // scanner's `/wp-admin/setup.php` is no page of ours. Only a browser's navigation gets the app.
    if (pathname.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(pathname) || !acceptsHtml(request))
      return false;
    await reply
      .header('Cache-Control', 'no-cache')
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'same-origin')
      .sendFile('index.html');
    return true;
  };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

const acceptsHtml = (request: FastifyRequest) => request.headers.accept?.includes('text/html') === true;
