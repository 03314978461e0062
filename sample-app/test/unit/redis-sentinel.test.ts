import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/shared/redis.ts';
import { startFakeRedisMaster, startFakeSentinel, type FakeServer } from '../support/fake-redis.ts';
import { quietLog } from '../support/quiet.ts';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const run of cleanup.splice(0).reverse()) await Promise.resolve(run()).catch(() => undefined);
});

async function sentinelSet() {
  const master = await startFakeRedisMaster();
  const sentinel = await startFakeSentinel(() => ({ host: '127.0.0.1', port: master.port }));
  cleanup.push(() => sentinel.close(), () => master.close());
  return { master, sentinel };
}

/**
 * The flake: the master goes away, the client asks Sentinel for the master again, and Sentinel's
 * +switch-master arrives while that question is in flight. ioredis' failover detector then calls
 * connector.disconnect(), SentinelConnector.connect throws "Connection is closed." after its await,
 * and Redis#connect leaves the client in status 'end' for good.
 */
async function provokeSwitchDuringResolve(master: FakeServer & { dropConnections(): void }, sentinel: Awaited<ReturnType<typeof startFakeSentinel>>) {
  sentinel.replyDelayMs = 400;
  master.dropConnections();
  await new Promise((resolve) => setTimeout(resolve, 250)); // the client is now waiting for Sentinel's answer
  sentinel.publishSwitchMaster();
  await new Promise((resolve) => setTimeout(resolve, 300)); // the delayed answer lands after the disconnect
  sentinel.replyDelayMs = 0;
}

describe('Redis through Sentinel: the client follows a failover even when +switch-master lands mid-reconnect', () => {
  it('plain ioredis 6 with failoverDetector ends for good (the cause of the flake)', async () => {
    const { master, sentinel } = await sentinelSet();
    const client = new Redis({
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: 'mymaster',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
      sentinelRetryStrategy: () => 100,
      failoverDetector: true,
    });
    client.on('error', () => undefined);
    cleanup.push(() => client.disconnect());
    await expect.poll(() => client.status).toBe('ready');
    await expect.poll(() => sentinel.subscribers()).toBeGreaterThan(0);
    await provokeSwitchDuringResolve(master, sentinel);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(client.status).toBe('end');
  });

  it('createRedis revives an ended client and is ready on the (new) master again', async () => {
    const { master, sentinel } = await sentinelSet();
    const handle = createRedis({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], masterName: 'mymaster' }, { commandTimeoutMs: 250, reconnectCapMs: 100 }, quietLog);
    cleanup.push(() => handle.close());
    await expect.poll(() => handle.client.status).toBe('ready');
    await expect.poll(() => sentinel.subscribers()).toBeGreaterThan(0);
    await provokeSwitchDuringResolve(master, sentinel);
    await expect.poll(() => handle.client.status, { timeout: 3_000 }).toBe('ready');
    expect(await handle.client.get('product:v1:1')).toBeNull();
  });

  it('after every Sentinel restarts, createRedis is listening for +switch-master again within its reconnect cap (ioredis waits 60 s by default)', async () => {
    const { sentinel } = await sentinelSet();
    const handle = createRedis({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], masterName: 'mymaster' }, { commandTimeoutMs: 250, reconnectCapMs: 100 }, quietLog);
    cleanup.push(() => handle.close());
    await expect.poll(() => sentinel.subscribers()).toBeGreaterThan(0);
    sentinel.dropConnections();
    await expect.poll(() => sentinel.subscribers()).toBe(0);
    await expect.poll(() => sentinel.subscribers(), { timeout: 3_000 }).toBeGreaterThan(0);
  });

  it('a closed handle is not revived', async () => {
    const { sentinel } = await sentinelSet();
    const handle = createRedis({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], masterName: 'mymaster' }, { commandTimeoutMs: 250, reconnectCapMs: 50 }, quietLog);
    await expect.poll(() => handle.client.status).toBe('ready');
    await handle.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(handle.client.status).toBe('end');
  });
});
