import { startTracing, type Tracing } from './tracing.ts';

/**
 * Imported first by main.ts, so that tracing is set up before express, pg, ioredis and amqplib are loaded
 * (the instrumentations patch them as they are required). The role is the process's first argument.
 */
const role = process.argv[2];
export const tracing: Tracing | undefined = role === 'api' || role === 'worker' ? startTracing(role === 'api' ? 'sample-api' : 'sample-worker') : undefined;
