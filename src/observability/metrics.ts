import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The one Prometheus registry of the process; `/metrics` serves it and every metric registers here. */
export const metricsRegistry = new Registry();

// CPU, memory, event-loop lag, GC and handles of the process, with the standard names.
collectDefaultMetrics({ register: metricsRegistry });
// Gauges whose names end in `_total` break the Prometheus naming rules (promtool rejects them); the
// per-type gauges `nodejs_active_handles` etc. carry the same numbers.
for (const name of [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]) {
  metricsRegistry.removeSingleMetric(name);
}

/** HTTP requests answered, by route template (not the raw path, to keep the label set small), method and status. */
export const httpRequests = new Counter<'route' | 'method' | 'status'>({
  name: 'requests_total',
  help: 'HTTP requests answered, by route template, method and status code.',
  labelNames: ['route', 'method', 'status'],
  registers: [metricsRegistry],
});

/** How long HTTP requests took, by route template. */
export const httpRequestDuration = new Histogram<'route'>({
  name: 'request_duration_seconds',
  help: 'Time from receiving an HTTP request to sending the last byte of its answer, by route template.',
  labelNames: ['route'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/** Requests refused with 429 by the per-organization API rate limits, by endpoint category. */
export const rateLimitRejections = new Counter<'category'>({
  name: 'rate_limit_rejections_total',
  help: 'Requests refused with 429 by the API rate limits, by endpoint category (read, write, import, auth).',
  labelNames: ['category'],
  registers: [metricsRegistry],
});

/** Runs of each background job, successful or not. */
export const jobRuns = new Counter<'job'>({
  name: 'job_runs_total',
  help: 'Runs of each background job.',
  labelNames: ['job'],
  registers: [metricsRegistry],
});

/** Runs of each background job that ended in an error. */
export const jobFailures = new Counter<'job'>({
  name: 'job_failures_total',
  help: 'Runs of each background job that ended in an error.',
  labelNames: ['job'],
  registers: [metricsRegistry],
});

/** Outbox events published to the event stream. */
export const outboxEventsProcessed = new Counter({
  name: 'outbox_events_processed_total',
  help: 'Outbox events published to the amss.events stream.',
  registers: [metricsRegistry],
});

/** Failed attempts to publish an outbox event; `final` says whether it went to the dead-letter stream. */
export const outboxEventsFailed = new Counter<'final'>({
  name: 'outbox_events_failed_total',
  help: 'Failed attempts to publish an outbox event; final="true" when it exhausted its attempts and was dead-lettered.',
  labelNames: ['final'],
  registers: [metricsRegistry],
});

/** Webhook delivery attempts by outcome: delivered (2xx), retry (failed, tried again later) or failed (given up). */
export const webhookDeliveries = new Counter<'status'>({
  name: 'webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (failed; tried again later) or failed (given up).',
  labelNames: ['status'],
  registers: [metricsRegistry],
});

/** gRPC calls handled, by service, method and status code (the names of go-grpc-prometheus). */
export const grpcHandled = new Counter<'grpc_service' | 'grpc_method' | 'grpc_code'>({
  name: 'grpc_server_handled_total',
  help: 'gRPC calls completed on the server, by service, method and status code.',
  labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
  registers: [metricsRegistry],
});

/** How long gRPC calls took, by service and method. */
export const grpcHandlingSeconds = new Histogram<'grpc_service' | 'grpc_method'>({
  name: 'grpc_server_handling_seconds',
  help: 'Time to handle a gRPC call on the server, by service and method.',
  labelNames: ['grpc_service', 'grpc_method'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/** Events read from `amss.events` by the worker's consumer group `amss.workers`, by type. */
export const eventsConsumed = new Counter<'event_type'>({
  name: 'events_consumed_total',
  help: 'Events read from the amss.events stream by the consumer group amss.workers, by event type.',
  labelNames: ['event_type'],
  registers: [metricsRegistry],
});
