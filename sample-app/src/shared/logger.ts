import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs. `ecs` renames the core fields to Elastic Common Schema names
 * (@timestamp, log.level, message, service.name) so Filebeat/Elasticsearch ingest them as they are.
 */
export function createLogger(service: string, format: 'json' | 'ecs', level: string, destination?: DestinationStream): Logger {
  if (format === 'json') return pino({ level, base: { service } }, destination);
  return pino(
    {
      level,
      messageKey: 'message',
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      base: { 'service.name': service, 'ecs.version': '8.11.0' },
      formatters: {
        level: (label) => ({ 'log.level': label }),
      },
    },
    destination,
  );
}

export type { Logger };
