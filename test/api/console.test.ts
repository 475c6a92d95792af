import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from '../../src/api/rest/console.js';
import { registerErrorHandling } from '../../src/api/rest/plugins/errors.js';

// The web console as the server serves it, from a built folder of this test's own.
let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'amss-console-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  await writeFile(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'favicon.svg'), '<svg/>');
  await writeFile(path.join(dir, '..', 'secret.txt'), 'not for the browser');
  app = Fastify({ logger: false });
  registerErrorHandling(app, undefined, await registerConsole(app, dir));
  app.get('/api/v1/aircraft', () => []);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
  await rm(path.join(dir, '..', 'secret.txt'), { force: true });
});

const html = { accept: 'text/html,application/xhtml+xml' };

describe('the web console at /', () => {
  it('serves the app at / and at any console path, so a reload on a deep link works', async () => {
    for (const url of ['/', '/fleet', '/tasks/7d0c2f4e-1a1b-4c1d-9f00-000000000001?tab=parts']) {
      const response = await app.inject({ url, headers: html });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toContain('<div id="root">');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('caches hashed assets for a year and answers a missing one 404, never with the app', async () => {
    const asset = await app.inject({ url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const gone = await app.inject({ url: '/assets/index-old999.js', headers: html });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ reason: 'ROUTE_NOT_FOUND' });
  });

  it('leaves unknown API paths and other methods to the API’s own 404 in the envelope', async () => {
    const api = await app.inject({ url: '/api/v1/nothing-here', headers: html });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ code: 'not_found', reason: 'ROUTE_NOT_FOUND' });
    const post = await app.inject({ method: 'POST', url: '/fleet' });
    expect(post.statusCode).toBe(404);
    const known = await app.inject({ method: 'DELETE', url: '/api/v1/aircraft' });
    expect(known.statusCode).toBe(405);
  });

  it('answers the app only to a browser’s navigation: an API client or a scanner gets a 404', async () => {
    const json = await app.inject({ url: '/fleet', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(404);
    const scanner = await app.inject({ url: '/wp-admin/setup.php', headers: html });
    expect(scanner.statusCode).toBe(404);
  });

  it('never serves a file from outside the console folder', async () => {
    for (const url of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const response = await app.inject({ url, headers: html });
      expect(response.body, url).not.toContain('not for the browser');
    }
  });
});
