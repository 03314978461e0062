import pino from 'pino';
import { createMetrics, type Metrics } from '../../src/shared/metrics.ts';

/** A logger that writes nothing, and a fresh metrics registry, for unit tests. */
export const quietLog = pino({ level: 'silent' });
export const freshMetrics = (): Metrics => createMetrics('sample-api');
