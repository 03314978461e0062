import { context, propagation, trace, ROOT_CONTEXT } from '@opentelemetry/api';

/** The active span's ids for a log line (ECS `trace.id`, `span.id`), or nothing outside a trace. */
export function traceFields(): { 'trace.id'?: string; 'span.id'?: string } {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (!ctx || !trace.isSpanContextValid(ctx)) return {};
  return { 'trace.id': ctx.traceId, 'span.id': ctx.spanId };
}

/** The active context as W3C headers (`traceparent`, `tracestate`): stored beside work done later (an outbox row). */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs `fn` in the context the stored headers describe (the request that wrote an outbox row), else in no trace. */
export function withTraceHeaders<T>(headers: Record<string, string> | null | undefined, fn: () => T): T {
  return context.with(headers ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT, fn);
}
