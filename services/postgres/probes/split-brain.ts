import pg from 'pg';
import type { PostgresMember } from '../member.ts';
import { sleep } from '../../../src/core/poll.ts';

export interface SplitBrainReport {
  ticks: number;
  /** Longest time between the starts of two consecutive polls: how blind the watcher ever was. */
  longestGapMs: number;
  /** Ticks at which two or more members reported themselves out of recovery (accepting writes). */
  splitBrainTicks: number;
  /** Per member, ticks at which it answered as a primary. */
  primaryTicks: Record<string, number>;
  /** Per member, ticks at which it did not answer at all (no TCP connection, timeout). */
  unreachableTicks: Record<string, number>;
  /** Per member, ticks at which Postgres answered but refused the session (shutting down, starting up). */
  refusedTicks: Record<string, number>;
  /** Names of the members seen as primary at each split-brain tick. */
  overlaps: string[][];
  /** Per member, performance.now() of the first and last poll that saw it as primary. */
  firstPrimaryAt: Record<string, number>;
  lastPrimaryAt: Record<string, number>;
}

/**
 * Polls every member directly (not through HAProxy) with `SELECT pg_is_in_recovery()` on a fixed
 * interval, concurrently, and counts the ticks at which more than one member was a primary.
 */
export class SplitBrainWatcher {
  private stopping = false;
  private loop: Promise<SplitBrainReport> | undefined;
  private readonly clients = new Map<string, pg.Client>();

  constructor(
    private readonly members: PostgresMember[],
    private readonly options: { intervalMs: number; maxSeconds: number } = { intervalMs: 200, maxSeconds: 300 },
  ) {}

  start(): this {
    this.loop = this.runLoop();
    return this;
  }

  async stop(): Promise<SplitBrainReport> {
    if (!this.loop) throw new Error('watcher was never started');
    this.stopping = true;
    return this.loop;
  }

  /** true: a primary; false: in recovery; 'refused': Postgres answered with an error; undefined: no answer. */
  private async isPrimary(member: PostgresMember): Promise<boolean | 'refused' | undefined> {
    try {
      let client = this.clients.get(member.name);
      if (!client) {
        client = new pg.Client(await member.clientConfig({ connectionTimeoutMillis: 800, query_timeout: 800 }));
        client.on('error', () => undefined);
        this.clients.set(member.name, client);
        await client.connect();
      }
      const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
      return rows[0]?.r === false;
    } catch (error) {
      const broken = this.clients.get(member.name);
      this.clients.delete(member.name);
      void broken?.end().catch(() => undefined);
      // A DatabaseError means the server itself answered (e.g. 57P03 "the database system is shutting down").
      return error instanceof pg.DatabaseError ? 'refused' : undefined;
    }
  }

  private async runLoop(): Promise<SplitBrainReport> {
    const report: SplitBrainReport = { ticks: 0, longestGapMs: 0, splitBrainTicks: 0, primaryTicks: {}, unreachableTicks: {}, refusedTicks: {}, overlaps: [], firstPrimaryAt: {}, lastPrimaryAt: {} };
    for (const m of this.members) {
      report.primaryTicks[m.name] = 0;
      report.unreachableTicks[m.name] = 0;
      report.refusedTicks[m.name] = 0;
    }
    const end = performance.now() + this.options.maxSeconds * 1000;
    let previousTick: number | undefined;
    try {
      while (!this.stopping && performance.now() < end) {
        const tickStart = performance.now();
        if (previousTick !== undefined) report.longestGapMs = Math.max(report.longestGapMs, tickStart - previousTick);
        previousTick = tickStart;
        const answers = await Promise.all(this.members.map((m) => this.isPrimary(m)));
        report.ticks++;
        const primaries = this.members.filter((_, i) => answers[i] === true).map((m) => m.name);
        this.members.forEach((m, i) => {
          if (answers[i] === true) {
            report.primaryTicks[m.name]!++;
            report.firstPrimaryAt[m.name] ??= tickStart;
            report.lastPrimaryAt[m.name] = tickStart;
          }
          if (answers[i] === undefined) report.unreachableTicks[m.name]!++;
          if (answers[i] === 'refused') report.refusedTicks[m.name]!++;
        });
        if (primaries.length > 1) {
          report.splitBrainTicks++;
          report.overlaps.push(primaries);
        }
        await sleep(Math.max(0, this.options.intervalMs - (performance.now() - tickStart)));
      }
    } finally {
      for (const c of this.clients.values()) void c.end().catch(() => undefined);
      this.clients.clear();
    }
    return report;
  }
}
