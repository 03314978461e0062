import pg from 'pg';
import { sleep } from '../core/poll.ts';
import type { PostgresCluster } from '../../services/postgres/cluster.ts';

/** One read through HAProxy's read port on a fresh connection: when it started (performance.now()), whether it was answered, and by what. */
export interface ReadPortSample {
  at: number;
  ok: boolean;
  /** pg_is_in_recovery() of the member that answered: true for a replica, false for the leader. */
  standby?: boolean;
  error?: string;
}

const INTERVAL_MS = 100;
const TIMEOUT_MS = 1_000;

/**
 * A client of the read port that opens a new connection for every read (every 100 ms, 1 s to connect and
 * 1 s to answer), so each read goes wherever HAProxy routes a new session at that moment. Stops by itself
 * after `maxSeconds`.
 */
export class ReadPortProbe {
  readonly samples: ReadPortSample[] = [];
  private running = true;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly cluster: PostgresCluster,
    private readonly maxSeconds: number,
  ) {}

  start(): this {
    const until = performance.now() + this.maxSeconds * 1000;
    this.loop = (async () => {
      while (this.running && performance.now() < until) {
        const at = performance.now();
        this.samples.push(await this.readOnce(at));
        await sleep(Math.max(0, INTERVAL_MS - (performance.now() - at)));
      }
    })();
    return this;
  }

  /** The first sample at or after `since` that `matches`, or undefined. */
  first(since: number, matches: (s: ReadPortSample) => boolean): ReadPortSample | undefined {
    return this.samples.find((s) => s.at >= since && matches(s));
  }

  async stop(): Promise<ReadPortSample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }

  private async readOnce(at: number): Promise<ReadPortSample> {
    const client = new pg.Client(this.cluster.clientConfig(this.cluster.read, { connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS }));
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      return { at, ok: true, standby: rows[0]?.standby === true };
    } catch (error) {
      return { at, ok: false, error: (error as Error).message };
    } finally {
      // end() never settles for a connection whose server is frozen: it is left to close when HAProxy or the server does.
      await Promise.race([client.end().catch(() => undefined), sleep(TIMEOUT_MS)]);
    }
  }
}

/** The longest one probe read can take (connect or answer timeout, then the next read's interval): part of any figure timed by the probe. */
export const READ_PROBE_SECONDS = (TIMEOUT_MS + INTERVAL_MS) / 1000;
