import { startApi } from './api/server.ts';
import { ConfigError, loadConfig } from './shared/config.ts';
import { exitOnSignals } from './shared/lifecycle.ts';
import { startWorker } from './worker/worker.ts';

/** `sample-app api` or `sample-app worker`; configuration from the environment (see sample-app/README.md). */
const role = process.argv[2];
if (role !== 'api' && role !== 'worker') {
  process.stderr.write('usage: sample-app api|worker\n');
  process.exit(2);
}
try {
  const config = loadConfig(role);
  const running = role === 'api' ? await startApi(config) : await startWorker(config);
  exitOnSignals(() => running.stop(), config.thresholds.shutdownTimeoutMs, running.log);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sample-app ${role} failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
