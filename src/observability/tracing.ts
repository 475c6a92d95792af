import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * Starts exporting traces over OTLP/HTTP to `endpoint` (the collector's base URL, as
 * OTEL_EXPORTER_OTLP_ENDPOINT says; spans go to `<endpoint>/v1/traces`): a span per HTTP request,
 * gRPC call, PostgreSQL query and Redis command, plus the spans AMSS opens itself (worker jobs,
 * gRPC methods). Must run before pg, ioredis, http and grpc-js are loaded, so the instrumentations
 * can wrap them; `src/cmd/main.ts` does so. Returns a function that flushes and stops.
 */
export function startTracing(input: {
  endpoint: string;
  service: string;
  version: string;
}): () => Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: input.service,
      [ATTR_SERVICE_VERSION]: input.version,
    }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${input.endpoint.replace(/\/$/, '')}/v1/traces` }),
      ),
    ],
  });
  provider.register();
  registerInstrumentations({
    instrumentations: [
      // Probes and scrapes would drown the traces that matter.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => /^\/(health|ready|metrics)(\?|$)/.test(request.url ?? ''),
      }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new IORedisInstrumentation(),
      new GrpcInstrumentation(),
    ],
  });
  return () => provider.shutdown();
}
