import { createServer, type Server } from 'node:http';

/** One alert of an Alertmanager webhook notification (payload version 4). */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

export interface Notification {
  /** The receiver path the notification was posted to: page, ticket or chat. */
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: NotifiedAlert[];
  /** performance.now() when the notification arrived. */
  at: number;
}

export interface AlertEvent extends NotifiedAlert {
  receiver: string;
  at: number;
}

/**
 * Records every notification Alertmanager posts, as the page/ticket/chat endpoints of a real
 * deployment would receive them. Listens on one address only (the gateway of the test's own network).
 */
export class WebhookReceiver {
  readonly notifications: Notification[] = [];
  private server: Server | undefined;
  private waiters: Array<() => void> = [];

  async listen(host: string): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status: 'firing' | 'resolved'; alerts: NotifiedAlert[] };
          this.notifications.push({ receiver: (req.url ?? '/').replace(/^\//, ''), status: body.status, alerts: body.alerts, at: performance.now() });
          for (const wake of this.waiters.splice(0)) wake();
          res.writeHead(200).end('ok');
        } catch (error) {
          res.writeHead(400).end(String(error));
        }
      });
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('webhook receiver has no TCP address');
    return `http://${host}:${address.port}`;
  }

  /** Every alert of every notification, flattened, in arrival order. */
  events(): AlertEvent[] {
    return this.notifications.flatMap((n) => n.alerts.map((a) => ({ ...a, receiver: n.receiver, at: n.at })));
  }

  /** The first alert event after `since` matching `match`, waiting up to `timeoutMs`. */
  async waitFor(match: (e: AlertEvent) => boolean, since: number, timeoutMs: number, what: string): Promise<AlertEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.events().find((e) => e.at >= since && match(e));
      if (found) return found;
      const left = deadline - performance.now();
      if (left <= 0) {
        const seen = this.events()
          .filter((e) => e.at >= since)
          .map((e) => `${e.labels.alertname}:${e.status}`);
        throw new Error(`no webhook notification for ${what} within ${timeoutMs} ms (seen since: ${seen.join(', ') || 'none'})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
