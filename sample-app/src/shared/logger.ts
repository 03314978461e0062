import pino, { type DestinationStream, type Logger } from 'pino';
import { traceFields } from '../telemetry/context.ts';

/**
 * Structured JSON logs; a line written inside a trace carries its `trace.id` and `span.id` (log ↔ trace
 * correlation, the same ids Jaeger shows). `ecs` renames the core fields to Elastic Common Schema names
 * (@timestamp, log.level, message, service.name) so Filebeat/Elasticsearch ingest them as they are.
 */
export function createLogger(service: string, format: 'json' | 'ecs', level: string, destination?: DestinationStream): Logger {
  if (format === 'json') return pino({ level, base: { service }, mixin: traceFields }, destination);
  return pino(
    {
      level,
      messageKey: 'message',
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      base: { 'service.name': service, 'ecs.version': '8.11.0' },
      mixin: traceFields,
      formatters: {
        level: (label) => ({ 'log.level': label }),
      },
    },
    destination,
  );
}

export type { Logger };
