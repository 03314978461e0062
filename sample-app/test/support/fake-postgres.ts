import net from 'node:net';

/** What the fake server does with one simple-protocol query. */
export type FakeAnswer = 'ok' | 'hang' | { error: string; message?: string };

export interface FakePostgres {
  port: number;
  url: string;
  /** Every query received, with the connection number it came on. */
  queries: Array<{ connection: number; sql: string }>;
  /** Connections opened so far, and those the client closed (socket end or Terminate). */
  opened: number;
  closed: number;
  /** Refuse new connections (close the listener) until `accept()`. */
  close(): Promise<void>;
}

/**
 * Just enough of the PostgreSQL wire protocol (v3, trust auth, simple queries) to drive
 * node-postgres: `answer(sql)` decides per query whether to complete it, fail it with a SQLSTATE,
 * or never answer (a paused server).
 */
export async function startFakePostgres(answer: (sql: string) => FakeAnswer): Promise<FakePostgres> {
  const state = { queries: [] as FakePostgres['queries'], opened: 0, closed: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const connection = ++state.opened;
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    let started = false;
    let counted = false;
    const countClose = () => {
      if (!counted) state.closed += 1;
      counted = true;
      sockets.delete(socket);
    };
    socket.on('close', countClose);
    socket.on('error', () => undefined);
    const send = (type: string, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.write(type, 0, 'latin1');
      header.writeInt32BE(body.length + 4, 1);
      if (!socket.destroyed) socket.write(Buffer.concat([header, body]));
    };
    const ready = () => send('Z', Buffer.from('I'));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 4) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          buffer = buffer.subarray(length);
          started = true;
          send('R', Buffer.from([0, 0, 0, 0]));
          ready();
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const body = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        if (type === 'X') {
          countClose();
          socket.end();
          return;
        }
        if (type !== 'Q') continue;
        const sql = body.subarray(0, body.length - 1).toString('utf8');
        state.queries.push({ connection, sql });
        const result = answer(sql);
        if (result === 'hang') continue;
        if (result === 'ok') {
          send('C', Buffer.from(`${sql.split(/\s+/)[0]!.toUpperCase()}\0`));
        } else {
          const fields = `SERROR\0C${result.error}\0M${result.message ?? 'fake error'}\0\0`;
          send('E', Buffer.from(fields, 'utf8'));
        }
        ready();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `postgres://fake:fake@127.0.0.1:${port}/fake`,
    get queries() {
      return state.queries;
    },
    get opened() {
      return state.opened;
    },
    get closed() {
      return state.closed;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
