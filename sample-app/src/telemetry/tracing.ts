import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** Paths whose requests make no spans: probes and scrapes would drown the traces that matter. */
const UNTRACED_PATHS = /^\/(readyz|healthz|livez|metrics)\b/;

export interface Tracing {
  /** Flushes the spans still buffered (bounded by the exporter's timeout). */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry for one process, when OTEL_EXPORTER_OTLP_ENDPOINT is set (else nothing is traced): spans
 * of http (in and out), express, pg, ioredis and amqplib, exported over OTLP/HTTP (protobuf) in batches
 * every 500 ms, W3C trace context as the propagator. Must run before express, pg, ioredis and amqplib are
 * loaded: the instrumentations patch them as they are required (the image keeps them outside the bundle
 * so that they are; see the Dockerfile).
 */
export function startTracing(service: string, env: Record<string, string | undefined> = process.env): Tracing | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  if (!endpoint) return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: 5_000 }), { scheduledDelayMillis: 500, maxQueueSize: 4096 })],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? '') }),
      new ExpressInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new AmqplibInstrumentation(),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}

export type { Span };
