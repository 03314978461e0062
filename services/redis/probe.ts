import { Redis } from 'ioredis';

/** One short-lived connection to a published Redis or Sentinel port; never retries. */
async function withRedis<T>(port: number, use: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1_500, commandTimeout: 1_500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await use(r);
  } finally {
    r.disconnect();
  }
}

/** INFO <section> as key → value. */
export async function redisInfo(port: number, section: string): Promise<Record<string, string>> {
  const text = await withRedis(port, (r) => r.info(section));
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

/** [host, port] of the master Sentinel currently points clients to. */
export async function sentinelMaster(port: number, masterName: string): Promise<string[]> {
  return withRedis(port, async (r) => (await r.call('SENTINEL', 'get-master-addr-by-name', masterName)) as string[]);
}

export async function redisSet(port: number, key: string, value: string): Promise<void> {
  await withRedis(port, (r) => r.set(key, value));
}

/** Which of `keys` exist on the node behind a published port (one pipelined EXISTS per key). */
export async function existingKeys(port: number, keys: readonly string[]): Promise<Set<string>> {
  return withRedis(port, async (r) => {
    const replies = await r.pipeline(keys.map((k) => ['exists', k])).exec();
    return new Set(keys.filter((_, i) => replies?.[i]?.[1] === 1));
  });
}
