import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** A node:http server on 127.0.0.1 whose misbehaviour the load tests control. */
export interface TestServer {
  url: string;
  /** Every request arriving before now + ms is held until then (a whole-server pause). */
  stallFor(ms: number): void;
  /** Never answer (until the client gives up) while true. */
  hold: boolean;
  /** Serve one request at a time, each taking this long (0 = answer at once): a server with a known capacity. */
  serviceMs: number;
  arrivals: number[];
  inProgress: number;
  maxInProgress: number;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  let stallUntil = 0;
  let busyUntil = 0;
  const state: TestServer = {
    url: '',
    stallFor: (ms) => {
      stallUntil = performance.now() + ms;
    },
    hold: false,
    serviceMs: 0,
    arrivals: [],
    inProgress: 0,
    maxInProgress: 0,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const answer = (res: ServerResponse) => {
    if (!res.destroyed) res.end('ok');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const now = performance.now();
    state.arrivals.push(now);
    state.inProgress += 1;
    state.maxInProgress = Math.max(state.maxInProgress, state.inProgress);
    res.on('close', () => {
      state.inProgress -= 1;
    });
    req.resume();
    if (state.hold) return;
    if (state.serviceMs > 0) {
      // A virtual single-server queue: timer lateness does not add up, so capacity is exactly 1000 / serviceMs.
      busyUntil = Math.max(now, busyUntil) + state.serviceMs;
      setTimeout(() => answer(res), busyUntil - now);
      return;
    }
    if (now < stallUntil) setTimeout(() => answer(res), stallUntil - now);
    else answer(res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
