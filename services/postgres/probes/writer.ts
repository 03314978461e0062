import pg from 'pg';
import { sleep } from '../../../src/core/poll.ts';

export const WRITES_TABLE = 'acked_writes';

export interface WriterLimits {
  /** Pause between two inserts while writes succeed. */
  intervalMs: number;
  /** Pause before retrying after a failed insert or connection. */
  retryMs: number;
  /** Hard bounds: the loop never runs longer or inserts more than this. */
  maxSeconds: number;
  maxAttempts: number;
  /** Client-side timeout of one connect or insert; a hung commit counts as not acknowledged. */
  timeoutMs: number;
}

export interface WriterReport {
  attempted: number;
  /** Sequence numbers whose INSERT ... COMMIT returned success to this client. */
  acknowledged: number[];
  /** performance.now() of every acknowledgement, in order. */
  ackTimes: number[];
  failures: number;
}

const DEFAULT_LIMITS: WriterLimits = { intervalMs: 20, retryMs: 50, maxSeconds: 120, maxAttempts: 20_000, timeoutMs: 2_000 };

export async function createWritesTable(config: pg.ClientConfig): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${WRITES_TABLE} (run text NOT NULL, seq integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run, seq))`);
  } finally {
    await client.end();
  }
}

/**
 * A client inserting a numbered sequence through one endpoint (HAProxy's write port), one
 * autocommit INSERT at a time, remembering exactly which inserts were acknowledged.
 */
export class NumberedWriter {
  private readonly limits: WriterLimits;
  private stopping = false;
  private loop: Promise<WriterReport> | undefined;
  private ackCount = 0;
  private done = false;

  constructor(
    private readonly config: pg.ClientConfig,
    readonly run: string,
    limits: Partial<WriterLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  start(): this {
    if (this.loop) throw new Error('writer already started');
    this.loop = this.runLoop();
    return this;
  }

  async stop(): Promise<WriterReport> {
    if (!this.loop) throw new Error('writer was never started');
    this.stopping = true;
    return this.loop;
  }

  /** Resolves once `count` more inserts have been acknowledged after this call (bounded by timeoutMs). */
  async waitForAcks(count: number, timeoutMs: number): Promise<void> {
    const target = this.ackCount + count;
    const deadline = performance.now() + timeoutMs;
    while (this.ackCount < target) {
      if (performance.now() > deadline) throw new Error(`writer got no ${count} acknowledgements within ${timeoutMs} ms`);
      if (!this.loop || this.done) throw new Error('writer stopped before reaching the acknowledgements awaited');
      await sleep(50);
    }
  }

  private async runLoop(): Promise<WriterReport> {
    const report: WriterReport = { attempted: 0, acknowledged: [], ackTimes: [], failures: 0 };
    const end = performance.now() + this.limits.maxSeconds * 1000;
    let client: pg.Client | undefined;
    const drop = () => {
      const c = client;
      client = undefined;
      // Never await the end of a client whose server may be frozen.
      void c?.end().catch(() => undefined);
    };
    try {
      while (!this.stopping && performance.now() < end && report.attempted < this.limits.maxAttempts) {
        try {
          if (!client) {
            const fresh = new pg.Client({ ...this.config, connectionTimeoutMillis: this.limits.timeoutMs, query_timeout: this.limits.timeoutMs });
            fresh.on('error', () => undefined);
            client = fresh;
            await fresh.connect();
          }
          const seq = report.attempted + 1;
          report.attempted = seq;
          await client.query(`INSERT INTO ${WRITES_TABLE} (run, seq) VALUES ($1, $2)`, [this.run, seq]);
          report.acknowledged.push(seq);
          report.ackTimes.push(performance.now());
          this.ackCount++;
          await sleep(this.limits.intervalMs);
        } catch {
          report.failures++;
          drop();
          await sleep(this.limits.retryMs);
        }
      }
    } finally {
      drop();
      this.done = true;
    }
    return report;
  }
}

/** The longest time the client went without an acknowledged write: its observed write outage. */
export function longestAckGapSeconds(report: WriterReport, from = 0, to = Number.POSITIVE_INFINITY): number {
  const times = report.ackTimes.filter((t) => t >= from && t <= to);
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return Number((longest / 1000).toFixed(2));
}

/** Acknowledged sequence numbers missing from the given primary. */
export async function lostAcknowledgedWrites(primary: pg.ClientConfig, report: WriterReport, run: string): Promise<number[]> {
  const client = new pg.Client(primary);
  await client.connect();
  try {
    const { rows } = await client.query<{ seq: number }>(`SELECT seq FROM ${WRITES_TABLE} WHERE run = $1`, [run]);
    const present = new Set(rows.map((r) => r.seq));
    return report.acknowledged.filter((seq) => !present.has(seq));
  } finally {
    await client.end();
  }
}

/** Rows that exist although their insert was never attempted: a sign of corruption or a writer bug. */
export async function phantomWrites(primary: pg.ClientConfig, report: WriterReport, run: string): Promise<number> {
  const client = new pg.Client(primary);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${WRITES_TABLE} WHERE run = $1 AND (seq < 1 OR seq > $2)`, [run, report.attempted]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
