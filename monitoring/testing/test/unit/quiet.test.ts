import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../load.ts';
import { confirmedByClients, worstShare } from '../../quiet.ts';

/** `count` requests one every 100 ms from `startMs`, every `badEvery`-th one taking `badMs` (the rest 20 ms) or failing. */
function requests(startMs: number, count: number, badEvery: number, bad: { ms?: number; status?: number; source?: string }): Outcome[] {
  return Array.from({ length: count }, (_, i) => {
    const isBad = badEvery > 0 && i % badEvery === 0;
    return { endedAt: startMs + i * 100, ms: isBad ? (bad.ms ?? 20) : 20, status: isBad ? (bad.status ?? 200) : 200, read: true, source: isBad ? (bad.source ?? 'cache') : 'cache' };
  });
}

describe('the quiet window judges alerts against what the suite clients saw', () => {
  it('worstShare finds the worst sliding window and ignores windows of fewer than 20 requests', () => {
    const quiet = requests(0, 300, 0, {});
    const burst = requests(30_000, 100, 2, { ms: 500 });
    expect(worstShare([...quiet, ...burst], 0, 60_000, 10_000, (o) => o.ms > 200)).toBeCloseTo(0.5, 1);
    expect(worstShare(requests(0, 10, 1, { ms: 500 }), 0, 60_000, 10_000, (o) => o.ms > 200)).toBe(0);
  });

  it('confirms the latency SLO family only when clients saw more slow requests than its budget, and errors likewise', () => {
    const slow = confirmedByClients(requests(0, 300, 10, { ms: 400 }), 0, 60_000);
    expect([...slow.keys()]).toEqual(['slo-latency']);
    expect(slow.get('slo-latency')).toMatch(/\d+\.\d % of requests slower than 200 ms in a 10 s window/);
    expect(confirmedByClients(requests(0, 300, 50, { ms: 400 }), 0, 60_000).size).toBe(0);
    expect([...confirmedByClients(requests(0, 300, 10, { status: 500 }), 0, 60_000).keys()].sort()).toEqual(['api-errors', 'slo-availability']);
  });

  it('confirms the cache family when most product reads were answered without the cache, never by writes', () => {
    const misses = confirmedByClients(requests(0, 300, 1, { source: 'replica' }).map((o, i) => (i % 3 === 0 ? { ...o, source: 'cache' } : o)), 0, 60_000);
    expect(misses.get('cache')).toMatch(/6\d\.\d % of requests answered without the cache/);
    expect(confirmedByClients(requests(0, 300, 3, { source: 'replica' }), 0, 60_000).has('cache')).toBe(false);
    const writes = requests(0, 300, 0, {}).map((o, i) => (i % 3 === 0 ? o : { ...o, read: false, source: undefined as unknown as string }));
    expect(confirmedByClients(writes, 0, 60_000).has('cache')).toBe(false);
  });
});
