import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../src/api/outbox.ts';
import type { AmqpConnection } from '../../src/shared/amqp.ts';
import { deriveBudgets } from '../../src/shared/budgets.ts';
import type { Db } from '../../src/shared/db.ts';
import { freshMetrics, quietLog } from '../support/quiet.ts';

interface Row {
  id: string;
  claimed: boolean;
  published: boolean;
}

/** The outbox table in memory, answering the relay's three statements. */
function fakeDb(rows: Row[]) {
  const query = async (_pool: string, operation: string, _text: string, values: unknown[] = []) => {
    const result = (r: unknown[]) => ({ rows: r, rowCount: r.length }) as unknown as pg.QueryResult;
    if (operation === 'outbox_claim') {
      const batch = rows.filter((r) => !r.published && !r.claimed).slice(0, Number(values[1]));
      for (const r of batch) r.claimed = true;
      return result(batch.map((r) => ({ id: r.id, event_id: `00000000-0000-4000-8000-${r.id.padStart(12, '0')}`, routing_key: 'order.created', payload: { type: 'order.created', orderId: r.id } })));
    }
    const ids = new Set(values[0] as string[]);
    for (const r of rows.filter((x) => ids.has(x.id))) {
      if (operation === 'outbox_mark') r.published = true;
      r.claimed = false;
    }
    return result([]);
  };
  return { query } as unknown as Db;
}

/** A connection whose channel confirms each publish after `confirm()` decides. */
function fakeAmqp(confirm: (messageId: string, cb: (error: Error | null) => void) => void) {
  const published: string[] = [];
  const connection = {
    blocked: false,
    channel: {
      publish: (_exchange: string, _key: string, _body: Buffer, options: { messageId: string }, cb: (error: Error | null) => void) => {
        published.push(options.messageId);
        confirm(options.messageId, cb);
        return true;
      },
    },
  };
  return { connection, amqp: connection as unknown as AmqpConnection, published };
}

const relays: OutboxRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});

function relay(db: Db, amqp: AmqpConnection, confirmTimeoutMs = 5_000) {
  const budgets = deriveBudgets();
  const r = new OutboxRelay({ db, amqp, budgets: { ...budgets, queue: { ...budgets.queue, confirmTimeoutMs }, outbox: { ...budgets.outbox, pollIntervalMs: 60_000 } }, metrics: freshMetrics(), log: quietLog });
  relays.push(r);
  return r;
}

const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), claimed: false, published: false }));

describe('outbox relay', () => {
  it('publishes committed rows with confirms and marks them published', async () => {
    const table = rows(3);
    const { amqp, published } = fakeAmqp((_id, cb) => setImmediate(() => cb(null)));
    relay(fakeDb(table), amqp).wake();
    await expect.poll(() => table.every((r) => r.published)).toBe(true);
    expect(published).toHaveLength(3);
  });

  it('does nothing while the broker blocks the connection, and publishes the backlog once unblocked', async () => {
    const table = rows(2);
    const { connection, amqp, published } = fakeAmqp((_id, cb) => setImmediate(() => cb(null)));
    connection.blocked = true;
    const r = relay(fakeDb(table), amqp);
    r.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(published, 'nothing published while blocked').toEqual([]);
    connection.blocked = false;
    r.wake();
    await expect.poll(() => table.every((t) => t.published)).toBe(true);
  });

  it('a confirm that arrives late because the broker blocked us is waited for, not timed out and re-sent', async () => {
    const table = rows(1);
    const pending: Array<(error: Error | null) => void> = [];
    const { connection, amqp, published } = fakeAmqp((_id, cb) => pending.push(cb));
    const r = relay(fakeDb(table), amqp, 30);
    r.wake();
    await expect.poll(() => pending.length).toBe(1);
    connection.blocked = true; // the broker blocked the connection after the publish went out
    await new Promise((resolve) => setTimeout(resolve, 120)); // four confirm timeouts
    expect(table[0]!.published).toBe(false);
    connection.blocked = false;
    pending[0]!(null);
    await expect.poll(() => table[0]!.published).toBe(true);
    expect(published, 'published once').toHaveLength(1);
  });

  it('an unconfirmed row stays in the outbox and is published again later (at least once)', async () => {
    const table = rows(1);
    let attempts = 0;
    const { amqp, published } = fakeAmqp((_id, cb) => setImmediate(() => cb(++attempts === 1 ? new Error('channel closed') : null)));
    const r = relay(fakeDb(table), amqp);
    r.wake();
    await expect.poll(() => published.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(table[0]).toMatchObject({ published: false, claimed: false });
    r.wake();
    await expect.poll(() => table[0]!.published).toBe(true);
    expect(published).toHaveLength(2);
  });
});
