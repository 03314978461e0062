// First: tracing must be set up before the instrumented libraries are loaded by the imports below.
import { tracing } from './telemetry/register.ts';
import { startApi } from './api/server.ts';
import { ConfigError, loadConfig } from './shared/config.ts';
import { exitOnSignals } from './shared/lifecycle.ts';
import { startWorker } from './worker/worker.ts';

/**
 * `sample-app api` or `sample-app worker`; configuration from the environment (see sample-app/README.md).
 * No top-level await: the image bundles this file as CommonJS, so that express, pg, ioredis and amqplib
 * stay real `require`s the OpenTelemetry instrumentations can patch.
 */
async function main(role: string | undefined): Promise<void> {
  if (role !== 'api' && role !== 'worker') {
    process.stderr.write('usage: sample-app api|worker\n');
    process.exit(2);
  }
  try {
    const config = loadConfig(role);
    const running = role === 'api' ? await startApi(config) : await startWorker(config);
    exitOnSignals(async () => {
      await running.stop();
      await tracing?.shutdown().catch(() => undefined);
    }, config.thresholds.shutdownTimeoutMs, running.log);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`sample-app ${role} failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
}

void main(process.argv[2]);
