import net from 'node:net';

/** Parses RESP command arrays (`*N $len arg …`) from a stream, calling `onCommand` for each. */
function commandReader(onCommand: (args: string[]) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('latin1');
    for (;;) {
      if (!buffer.startsWith('*')) return;
      const lines = buffer.split('\r\n');
      const count = Number(lines[0]!.slice(1));
      if (lines.length < 1 + 2 * count + 1) return;
      const args: string[] = [];
      let consumed = lines[0]!.length + 2;
      for (let i = 0; i < count; i++) {
        const arg = lines[2 + 2 * i];
        if (arg === undefined) return;
        consumed += lines[1 + 2 * i]!.length + 2 + arg.length + 2;
        args.push(arg);
      }
      buffer = buffer.slice(consumed);
      onCommand(args);
    }
  };
}

const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;

export interface FakeServer {
  port: number;
  close(): Promise<void>;
}

async function listen(server: net.Server, sockets: Set<net.Socket>): Promise<number> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function shut(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A Redis master that speaks RESP2 (refuses HELLO, so clients downgrade): INFO says role:master, GET is nil. */
export async function startFakeRedisMaster(): Promise<FakeServer & { dropConnections(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.on(
      'data',
      commandReader(([name = '']) => {
        const command = name.toUpperCase();
        if (command === 'HELLO') socket.write(`-ERR unknown command 'HELLO'\r\n`);
        else if (command === 'INFO') socket.write(bulk('# Replication\r\nrole:master\r\nloading:0\r\n'));
        else if (command === 'PING') socket.write('+PONG\r\n');
        else if (command === 'GET') socket.write('$-1\r\n');
        else if (command === 'QUIT') socket.end('+OK\r\n');
        else socket.write('+OK\r\n');
      }),
    );
  });
  const port = await listen(server, sockets);
  return {
    port,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => shut(server, sockets),
  };
}

/**
 * A Sentinel that names `master` for any master name, after `replyDelayMs`, and publishes
 * +switch-master to its subscribers on demand.
 */
export async function startFakeSentinel(master: () => { host: string; port: number }): Promise<
  FakeServer & { replyDelayMs: number; subscribers(): number; publishSwitchMaster(): void; dropConnections(): void }
> {
  const sockets = new Set<net.Socket>();
  const subscribers = new Set<net.Socket>();
  const state = { replyDelayMs: 0 };
  const server = net.createServer((socket) => {
    socket.on('close', () => subscribers.delete(socket));
    socket.on(
      'data',
      commandReader(([name = '', sub = '', channel = '']) => {
        const command = name.toUpperCase();
        if (command === 'HELLO') return void socket.write(`-ERR unknown command 'HELLO'\r\n`);
        if (command === 'SUBSCRIBE') {
          subscribers.add(socket);
          return void socket.write(`*3\r\n${bulk('subscribe')}${bulk(channel || sub)}:1\r\n`);
        }
        if (command === 'SENTINEL' && sub.toLowerCase() === 'get-master-addr-by-name') {
          const { host, port } = master();
          const reply = `*2\r\n${bulk(host)}${bulk(String(port))}`;
          if (state.replyDelayMs > 0) setTimeout(() => !socket.destroyed && socket.write(reply), state.replyDelayMs);
          else socket.write(reply);
          return;
        }
        if (command === 'SENTINEL') return void socket.write('*0\r\n');
        socket.write('+OK\r\n');
      }),
    );
  });
  const port = await listen(server, sockets);
  return {
    port,
    get replyDelayMs() {
      return state.replyDelayMs;
    },
    set replyDelayMs(ms: number) {
      state.replyDelayMs = ms;
    },
    subscribers: () => subscribers.size,
    publishSwitchMaster: () => {
      const { port: p } = master();
      for (const socket of subscribers) socket.write(`*3\r\n${bulk('message')}${bulk('+switch-master')}${bulk(`mymaster 127.0.0.1 ${p} 127.0.0.1 ${p}`)}`);
    },
    /** A Sentinel restart as its clients see it: every connection closed, the port still listening. */
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => shut(server, sockets),
  };
}
