import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresContainer, type StartedPostgreSqlContainer } from '../../../services/postgres/standalone.ts';
import { record as recordResult } from '../../../src/testing/record.ts';
import { targets } from '../../../src/core/targets.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { seconds } from '../../../src/core/poll.ts';

const DUMP = '/tmp/shop.dump';

const SCHEMA = `
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE shop.customers (id bigserial PRIMARY KEY, email text UNIQUE NOT NULL, profile jsonb NOT NULL, tags text[] NOT NULL, created timestamptz NOT NULL);
CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES shop.customers(id), total numeric(12,2) NOT NULL,
  status shop.status NOT NULL, receipt bytea, placed timestamptz NOT NULL);
CREATE INDEX orders_customer ON shop.orders (customer_id);
CREATE VIEW shop.revenue AS SELECT customer_id, sum(total) AS total FROM shop.orders GROUP BY customer_id;
INSERT INTO shop.customers (email, profile, tags, created)
  SELECT 'c' || g || '@example.test', jsonb_build_object('n', g, 'vip', g % 7 = 0, 'name', 'Kunde Ω ' || g), ARRAY['t' || g % 5, 'ü'], timestamptz '2026-01-01' + g * interval '1 minute'
  FROM generate_series(1, 2000) g;
INSERT INTO shop.orders (customer_id, total, status, receipt, placed)
  SELECT 1 + g % 2000, round((g * 1.37)::numeric, 2), (ARRAY['new','paid','shipped']::shop.status[])[1 + g % 3], decode(md5(g::text), 'hex'), timestamptz '2026-02-01' + g * interval '1 second'
  FROM generate_series(1, 10000) g;
`;

/** Per table: row count and an md5 over every row's text form in a stable order; plus the sequences' positions. */
const CHECKSUMS = `
SELECT 'customers' AS name, count(*)::text AS rows, md5(string_agg(t::text, E'\\n' ORDER BY t.id)) AS sum FROM shop.customers t
UNION ALL SELECT 'orders', count(*)::text, md5(string_agg(t::text, E'\\n' ORDER BY t.id)) FROM shop.orders t
UNION ALL SELECT 'revenue', count(*)::text, md5(string_agg(t::text, E'\\n' ORDER BY t.customer_id)) FROM shop.revenue t
UNION ALL SELECT 'sequences', count(*)::text, md5(string_agg(sequencename || '=' || last_value, ',' ORDER BY sequencename)) FROM pg_sequences WHERE schemaname = 'shop'
ORDER BY name`;

describeWithDocker('postgres logical backup: pg_dump / pg_restore round trip', () => {
  let pgc: StartedPostgreSqlContainer;
  beforeAll(async () => {
    pgc = await postgresContainer().withDatabase('shop').withUsername('postgres').withPassword('logical-roundtrip').start();
  });
  afterAll(async () => pgc?.stop());

  async function checksums(database: string): Promise<Map<string, string>> {
    const client = new pg.Client({ connectionString: pgc.getConnectionUri().replace(/\/shop$/, `/${database}`) });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; rows: string; sum: string }>(CHECKSUMS);
      return new Map(rows.map((r) => [r.name, `${r.rows}:${r.sum}`]));
    } finally {
      await client.end();
    }
  }

  async function run(command: string[]): Promise<void> {
    const result = await pgc.exec(command, { user: 'postgres' });
    if (result.exitCode !== 0) throw new Error(`${command.join(' ')} exited ${result.exitCode}: ${result.output}`);
  }

  it('a schema with data restored from a custom-format dump into a new database has identical table checksums', async () => {
    const client = new pg.Client({ connectionString: pgc.getConnectionUri() });
    await client.connect();
    try {
      await client.query(SCHEMA);
    } finally {
      await client.end();
    }
    const t0 = performance.now();
    await run(['pg_dump', '-U', 'postgres', '-d', 'shop', '-Fc', '-f', DUMP]);
    await run(['createdb', '-U', 'postgres', 'shop_restored']);
    await run(['pg_restore', '-U', 'postgres', '-d', 'shop_restored', '--exit-on-error', '--no-owner', DUMP]);
    const roundTrip = seconds(t0, performance.now());

    const source = await checksums('shop');
    const copy = await checksums('shop_restored');
    expect([...source.keys()]).toEqual(['customers', 'orders', 'revenue', 'sequences']);
    expect(source.get('orders')).toMatch(/^10000:/);
    const differing = [...source.keys()].filter((k) => source.get(k) !== copy.get(k));
    const record = recordResult({
      id: 'backup.logical_checksum_mismatches',
      value: differing.length,
      unit: 'tables',
      target: targets.postgresHa.logicalChecksumMismatches,
      note: `compared ${source.size} checksums (customers 2000 rows, orders 10000 rows, a view, sequences)`,
    });
    recordResult({ id: 'backup.logical_roundtrip_seconds', value: roundTrip, unit: 's', note: 'pg_dump -Fc, createdb, pg_restore' });
    expect(record.pass, `differing: ${differing.join(', ')}`).toBe(true);

    // The comparison can fail: one changed byte in the copy changes its checksum.
    const restored = new pg.Client({ connectionString: pgc.getConnectionUri().replace(/\/shop$/, '/shop_restored') });
    await restored.connect();
    await restored.query("UPDATE shop.customers SET profile = profile || '{\"n\": -1}' WHERE id = 1");
    await restored.end();
    expect((await checksums('shop_restored')).get('customers')).not.toBe(source.get('customers'));
  });
});
