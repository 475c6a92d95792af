import { Counter, Registry } from 'prom-client';

/** The one Prometheus registry of the process; `/metrics` serves it and every metric registers here. */
export const metricsRegistry = new Registry();

/** Requests refused with 429 by the per-organization API rate limits, by endpoint category. */
export const rateLimitRejections = new Counter<'category'>({
  name: 'rate_limit_rejections_total',
  help: 'Requests refused with 429 by the API rate limits, by endpoint category (read, write, import, auth).',
  labelNames: ['category'],
  registers: [metricsRegistry],
});
