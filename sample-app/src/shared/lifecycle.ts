import type { Server } from 'node:http';
import type { Logger } from './logger.ts';

/**
 * SIGTERM/SIGINT → `stop` once; the process exits 0 when it finished in time, 1 when the bound
 * passed first (the orchestrator would SIGKILL it anyway).
 */
export function exitOnSignals(stop: () => Promise<void>, timeoutMs: number, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown did not finish in time, exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        log.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Stops accepting connections and resolves once every in-flight request has been answered. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets with no request in progress would hold close() open until their timeout.
    server.closeIdleConnections();
  });
}

export function listen(server: Server, port: number, host = '0.0.0.0'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
