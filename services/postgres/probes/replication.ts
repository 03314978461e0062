import pg from 'pg';
import { sleep } from '../../../src/core/poll.ts';

export interface ReplicaSample {
  at: number;
  member: string;
  state: string;
  /** replay_lag in seconds; 0 when Postgres reports none (the replica has replayed everything). */
  lagSeconds: number;
  /** WAL bytes between the primary's current LSN and the replica's replay LSN. */
  lagBytes: number;
}

const SAMPLE_SQL = `SELECT application_name AS member, state,
  COALESCE(EXTRACT(epoch FROM replay_lag), 0)::float8 AS lag_seconds,
  COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::float8 AS lag_bytes
FROM pg_stat_replication`;

/** Samples pg_stat_replication on the primary at a fixed interval until stopped (bounded by maxSeconds). */
export class ReplicationSampler {
  private stopping = false;
  private loop: Promise<ReplicaSample[]> | undefined;

  constructor(
    private readonly primary: pg.ClientConfig,
    private readonly options: { intervalMs: number; maxSeconds: number },
  ) {}

  start(): this {
    this.loop = this.runLoop();
    return this;
  }

  stop(): Promise<ReplicaSample[]> {
    if (!this.loop) throw new Error('sampler was never started');
    this.stopping = true;
    return this.loop;
  }

  private async runLoop(): Promise<ReplicaSample[]> {
    const samples: ReplicaSample[] = [];
    const client = new pg.Client({ ...this.primary, query_timeout: 2_000 });
    await client.connect();
    const end = performance.now() + this.options.maxSeconds * 1000;
    try {
      while (!this.stopping && performance.now() < end) {
        const at = performance.now();
        const { rows } = await client.query<{ member: string; state: string; lag_seconds: number; lag_bytes: number }>(SAMPLE_SQL);
        for (const r of rows) samples.push({ at, member: r.member, state: r.state, lagSeconds: r.lag_seconds, lagBytes: r.lag_bytes });
        await sleep(Math.max(0, this.options.intervalMs - (performance.now() - at)));
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    return samples;
  }
}

export function percentile(values: number[], p: number): number {
  if (!values.length) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/**
 * A bounded write load: `clients` connections each inserting `rowsPerStatement` rows of ~256 bytes
 * per statement, back to back, for `seconds`. Returns the number of rows committed.
 */
export async function sustainedWriteLoad(
  config: pg.ClientConfig,
  options: { clients: number; seconds: number; rowsPerStatement: number; pauseMs?: number },
): Promise<number> {
  const setup = new pg.Client(config);
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS load_rows (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  await setup.end();
  const end = performance.now() + options.seconds * 1000;
  const worker = async () => {
    const client = new pg.Client({ ...config, query_timeout: 10_000 });
    await client.connect();
    let rows = 0;
    try {
      while (performance.now() < end) {
        const result = await client.query(
          'INSERT INTO load_rows (payload) SELECT repeat(md5(random()::text), 8) FROM generate_series(1, $1)',
          [options.rowsPerStatement],
        );
        rows += result.rowCount ?? 0;
        if (options.pauseMs) await sleep(options.pauseMs);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    return rows;
  };
  const counts = await Promise.all(Array.from({ length: options.clients }, worker));
  return counts.reduce((a, b) => a + b, 0);
}
