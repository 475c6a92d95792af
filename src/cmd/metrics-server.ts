import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { metricsRegistry } from '../observability/metrics.js';

/**
 * A bare HTTP server for the worker, which has no REST server of its own: `GET /metrics` answers
 * the registry in the Prometheus text format, anything else 404.
 */
export async function startMetricsServer(address: { host: string; port: number }): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.listen(address.port, address.host);
  await once(server, 'listening');
  return server;
}
