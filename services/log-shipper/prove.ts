/**
 * The log tier proved by hand, on a fresh labelled Docker network of its own:
 *   1. OpenSearch starts: seconds to green, RSS.
 *   2. The shipper starts and installs the index template and the ingest pipeline.
 *   3. Visibility: a line with a fresh request id, written by a container through Docker's syslog
 *      driver, is searchable by that id within N s (five samples).
 *   4. Burst: 10,000 ECS lines with unique ids written as fast as bash can: how many arrive, none twice;
 *      `docker logs` still shows them all (Docker 20.10's dual logging).
 *   5. Outage: 10,000 lines paced over ~20 s; OpenSearch is stopped for 20 s in the middle: the writer is
 *      not slowed, the shipper spills to disk, and every line arrives once OpenSearch is back.
 *   6. Restart: the shipper restarted while the search tier is gone keeps its disk queue; a fresh, empty
 *      OpenSearch takes over and gets the template before any index; lines written while the shipper
 *      restarts are counted; a container cannot start when nothing listens at all.
 *   7. Retention: a shipper restarted with a 30 s retention deletes an expired logs-* index.
 * Everything it creates carries the run labels and is removed at the end (and on Ctrl-C).
 *
 *   REFSTACK_IMAGE_PREFIX=refstack-search node --import tsx services/log-shipper/prove.ts [--build]
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { docker } from '../../src/core/docker/engine.ts';
import { currentRunId, runLabels } from '../../src/core/docker/labels.ts';
import { createNetwork } from '../../src/core/docker/network.ts';
import { removeRun } from '../../src/core/docker/cleanup.ts';
import { resolveBase } from '../../src/core/images/base.ts';
import { imageRef } from '../../src/core/images/catalog.ts';
import { REPORTS_DIR, ROOT } from '../../src/core/paths.ts';

const LINES = 10_000;
const OUTAGE_S = 20;
const RETENTION_S = 30;

interface Figure {
  id: string;
  value: number | string;
  unit: string;
  note?: string;
}
const figures: Figure[] = [];
function record(id: string, value: number | string, unit: string, note?: string): void {
  figures.push({ id, value, unit, ...(note ? { note } : {}) });
  console.log(`  ${id} = ${value}${unit ? ` ${unit}` : ''}${note ? `   (${note})` : ''}`);
}
const step = (text: string) => console.log(`\n▶ ${text}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (fromMs: number) => Math.round((performance.now() - fromMs) / 10) / 100;

/** Polls `probe` until it returns a value (not undefined), at most `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
      if (process.env.PROVE_DEBUG) console.error(`  ${what}: ${last}`);
    }
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${last})` : ''}`);
}

function buildImage(name: string, baseRef: string): void {
  const started = performance.now();
  execFileSync('docker', ['build', '-q', '-t', imageRef(name), '--build-arg', `BASE_IMAGE=${baseRef}`, '--label', `org.refstack.image=${name}`, join(ROOT, 'services', name)], { stdio: ['ignore', 'ignore', 'inherit'] });
  record(`build.${name}_seconds`, seconds(started), 's', 'layer cache as found');
}

async function hostPort(container: Docker.Container, port: string): Promise<number> {
  const info = await container.inspect();
  const bound = info.NetworkSettings.Ports[port]?.[0]?.HostPort;
  if (!bound) throw new Error(`${info.Name} publishes no ${port}`);
  return Number(bound);
}

async function json(url: string, init?: RequestInit): Promise<any> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${body.slice(0, 300)}`);
  return body ? JSON.parse(body) : undefined;
}

async function main(): Promise<void> {
  const runId = currentRunId();
  const labels = runLabels('test');
  const base = await resolveBase({ create: false });
  if (process.argv.includes('--build')) {
    step('building images');
    buildImage('opensearch', base.ref);
    buildImage('log-shipper', base.ref);
  }
  const d = docker();
  const network = await createNetwork('search-prove');
  const create = async (options: Docker.ContainerCreateOptions): Promise<Docker.Container> => {
    const c = await d.createContainer({ ...options, Labels: { ...labels, ...options.Labels }, HostConfig: { NetworkMode: network.name, ...options.HostConfig } });
    return c;
  };

  // 1. OpenSearch
  step('OpenSearch: start to green');
  const osOptions = (name: string): Docker.ContainerCreateOptions => ({
    name,
    Image: imageRef('opensearch'),
    ExposedPorts: { '9200/tcp': {} },
    HostConfig: {
      PortBindings: { '9200/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      Memory: 1536 * 1024 * 1024,
    },
    NetworkingConfig: { EndpointsConfig: { [network.name]: { Aliases: ['opensearch'] } } },
  });
  let os = await create(osOptions(`rs-search-opensearch-${runId.slice(-6)}`));
  let started = performance.now();
  await os.start();
  // Docker gives a published port a new host port at every start: re-read it after a restart.
  let search = `http://127.0.0.1:${await hostPort(os, '9200/tcp')}`;
  const green = async () => (await json(`${search}/_cluster/health`)).status === 'green' || undefined;
  await until('OpenSearch green', 240_000, green, 250);
  record('opensearch.start_to_green_seconds', seconds(started), 's');
  record('opensearch.rss_mib_idle', rssMiB(os.id), 'MiB', 'java VmRSS, heap 512 MB');

  // 2. Shipper
  step('log shipper: start, index template and pipeline installed');
  const volume = `rs-search-shipper-${runId.slice(-6)}`;
  await d.createVolume({ Name: volume, Labels: labels });
  // A fixed host port, as `refstack up` has: the logging driver of a running container keeps the
  // address it was given, so a restarted shipper must come back on the same port.
  const shipperPort = await freePort();
  const shipperOptions = (env: string[]): Docker.ContainerCreateOptions => ({
    Image: imageRef('log-shipper'),
    Env: ['SEARCH_HOST=opensearch', 'SEARCH_PORT=9200', ...env],
    ExposedPorts: { '5140/tcp': {} },
    HostConfig: { PortBindings: { '5140/tcp': [{ HostIp: '127.0.0.1', HostPort: String(shipperPort) }] }, Binds: [`${volume}:/var/lib/log-shipper`], Memory: 256 * 1024 * 1024 },
    NetworkingConfig: { EndpointsConfig: { [network.name]: { Aliases: ['log-shipper'] } } },
  });
  let shipper = await create({ name: `rs-search-shipper-${runId.slice(-6)}`, ...shipperOptions(['MAINTAIN_INTERVAL_S=5']) });
  started = performance.now();
  await shipper.start();
  await until('index template installed', 60_000, async () => (await json(`${search}/_index_template/logs`)).index_templates?.length > 0 || undefined);
  await until('shipper healthy', 60_000, async () => ((await shipper.inspect()).State.Health?.Status === 'healthy') || undefined, 500);
  record('shipper.start_to_healthy_seconds', seconds(started), 's', 'template installed, TCP 5140 accepting');

  const emitter = async (tag: string, script: string): Promise<Docker.Container> => {
    const c = await create({
      Image: base.ref,
      Cmd: ['bash', '-c', script],
      HostConfig: {
        LogConfig: { Type: 'syslog', Config: { 'syslog-address': `tcp://127.0.0.1:${shipperPort}`, 'syslog-format': 'rfc5424micro', tag } },
      },
    });
    await c.start();
    return c;
  };
  const count = async (index: string, query: object): Promise<number> => (await json(`${search}/${index}/_count`, { method: 'POST', body: JSON.stringify({ query }) })).count;

  // 3. Visibility
  step('visibility: one request line searchable by its request id');
  const samples: number[] = [];
  const written: number[] = [];
  for (let i = 0; i < 5; i++) {
    const requestId = `vis-${runId.slice(-6)}-${i}`;
    const line = JSON.stringify({ '@timestamp': new Date().toISOString(), 'log.level': 'info', 'service.name': 'sample-api', 'ecs.version': '8.11.0', requestId, method: 'GET', route: '/orders/:id', status: 200, message: 'request' });
    const emitted = performance.now();
    const c = await emitter('sample-api', `printf '%s\\n' '${line}'`);
    const hit = await until(`line ${requestId} searchable`, 30_000, async () => {
      const r = await json(`${search}/logs-sample-api-*/_search`, { method: 'POST', body: JSON.stringify({ query: { term: { 'http.request.id': requestId } } }) });
      return r.hits.hits[0]?._source;
    }, 100);
    const hitAt = Date.now();
    samples.push(seconds(emitted));
    written.push(Math.round((hitAt - Date.parse(hit.event.created)) / 10) / 100);
    await c.wait();
  }
  record('visibility.written_to_searchable_seconds_max', Math.max(...written), 's', `samples ${written.join(', ')}; from the line's syslog timestamp to a hit on http.request.id`);
  record('visibility.container_start_to_searchable_seconds_max', Math.max(...samples), 's', `samples ${samples.join(', ')}`);

  // 4. Burst
  step(`burst: ${LINES} lines as fast as bash writes them`);
  const burstBatch = `burst-${runId.slice(-6)}`;
  const ecsLoop = (batch: string, pace: string, lines = LINES) =>
    `for ((i = 1; i <= ${lines}; i++)); do t=$EPOCHREALTIME; printf '{"@timestamp":"%(%FT%T)T.%sZ","log.level":"info","service.name":"${batch.split('-')[0]}","message":"line %d","event":{"id":"${batch}-%d"},"labels":{"batch":"${batch}"}}\\n' "\${t%.*}" "\${t#*.}" $i $i; ${pace} done`;
  started = performance.now();
  const burst = await emitter('burst', ecsLoop(burstBatch, ''));
  await burst.wait();
  const burstWriter = await ranSeconds(burst);
  record('burst.writer_seconds', burstWriter, 's', 'bash writing 10,000 lines through the syslog driver');
  const arrived = await until('burst arrived', 120_000, async () => {
    const n = await count('logs-burst-*', { term: { 'labels.batch': burstBatch } });
    return n >= LINES ? n : undefined;
  }, 250).catch(async () => count('logs-burst-*', { term: { 'labels.batch': burstBatch } }));
  record('burst.all_arrived_seconds', seconds(started), 's');
  const burstTally = await tally(search, 'logs-burst-*', burstBatch);
  record('burst.docs_indexed', burstTally.docs, `(first poll saw ${arrived})`);
  record('burst.lines_lost', LINES - burstTally.distinct, 'lines');
  record('burst.duplicates', burstTally.docs - burstTally.distinct, 'docs');
  const logsLines = execFileSync('docker', ['logs', burst.id], { maxBuffer: 64 << 20 }).toString().split('\n').filter(Boolean).length;
  record('burst.docker_logs_lines', logsLines, `of ${LINES}`, 'dual logging: docker logs with the syslog driver');

  // 5. Outage
  step(`outage: ${LINES} lines over ~20 s, OpenSearch stopped for ${OUTAGE_S} s in the middle`);
  const outageBatch = `outage-${runId.slice(-6)}`;
  started = performance.now();
  const paced = await emitter('outage', ecsLoop(outageBatch, '(( i % 50 == 0 )) && sleep 0.1;'));
  await sleep(5_000);
  const before = await count('logs-outage-*', { term: { 'labels.batch': outageBatch } });
  record('outage.lines_indexed_before_stop', before, 'lines');
  const stopped = performance.now();
  await os.stop({ t: 10 });
  await sleep(Math.max(0, OUTAGE_S * 1000 - (performance.now() - stopped)));
  const spool = execFileSync('docker', ['exec', shipper.id, 'bash', '-c', 'du -sk /var/lib/log-shipper | cut -f1; ls /var/lib/log-shipper']).toString().trim().split('\n');
  record('outage.shipper_spool_kib', Number(spool[0]), 'KiB', `on disk during the outage: ${spool.slice(1).join(' ')}`);
  const down = seconds(stopped);
  const restarted = performance.now();
  await os.start();
  search = `http://127.0.0.1:${await hostPort(os, '9200/tcp')}`;
  await until('OpenSearch green again', 240_000, green, 250);
  const greenAgain = performance.now();
  record('outage.search_unavailable_seconds', Math.round((down + seconds(restarted)) * 100) / 100, 's', `stopped ${OUTAGE_S} s, then ${seconds(restarted)} s from docker start to green`);
  await paced.wait();
  record('outage.writer_seconds', await ranSeconds(paced), 's', `unslowed: the burst's ${burstWriter} s + 200 pauses of 0.1 s`);
  const outageArrived = await until('outage backlog arrived', 180_000, async () => {
    const n = await count('logs-outage-*', { term: { 'labels.batch': outageBatch } });
    return n >= LINES ? n : undefined;
  }, 250).catch(async () => count('logs-outage-*', { term: { 'labels.batch': outageBatch } }));
  record('outage.backlog_drained_seconds_after_green', seconds(greenAgain), 's', 'from green again to the last line searchable');
  const outageTally = await tally(search, 'logs-outage-*', outageBatch);
  record('outage.docs_indexed', outageTally.docs, `(first poll saw ${outageArrived})`);
  record('outage.lines_lost', LINES - outageTally.distinct, 'lines');
  record('outage.duplicates', outageTally.docs - outageTally.distinct, 'docs');

  // 6. The shipper restarted while the search tier is gone; a fresh, empty one takes its place
  step('shipper restarted (SIGTERM, 10 s grace) while the search tier is gone; a fresh, empty OpenSearch replaces it');
  const restartA = `restart-a-${runId.slice(-6)}`;
  const restartB = `restart-b-${runId.slice(-6)}`;
  await os.remove({ force: true, v: true });
  const queued = await emitter('restart', ecsLoop(restartA, '', 3_000));
  await queued.wait();
  await sleep(2_000);
  const across = await emitter('restart', ecsLoop(restartB, 'sleep 0.01;', 1_000));
  await sleep(3_000);
  const restartAt = performance.now();
  await shipper.restart({ t: 10 });
  await until('shipper healthy after restart', 60_000, async () => ((await shipper.inspect()).State.Health?.Status === 'healthy') || undefined, 250);
  record('restart.shipper_restart_to_healthy_seconds', seconds(restartAt), 's');
  await across.wait();
  os = await create(osOptions(`rs-search-opensearch2-${runId.slice(-6)}`));
  await os.start();
  search = `http://127.0.0.1:${await hostPort(os, '9200/tcp')}`;
  await until('the fresh OpenSearch green', 240_000, green, 250);
  // Late is not lost: wait until every line arrived, or until the count has not moved for 30 s.
  const drainStart = performance.now();
  const queuedA = await settled(() => tally(search, 'logs-restart-*', restartA), 3_000, 30_000, 300_000);
  record('restart.queued_before_lost', 3_000 - queuedA.distinct, 'of 3000', `in the shipper's disk queue when it restarted; settled ${seconds(drainStart)} s after green`);
  const mapping = (await json(`${search}/logs-restart-*/_mapping`)) as Record<string, { mappings: { properties: Record<string, any> } }>;
  const settings = (await json(`${search}/logs-restart-*/_settings`)) as Record<string, { settings: { index: { default_pipeline?: string } } }>;
  const first = Object.keys(mapping)[0]!;
  record('restart.fresh_tier_index_mapped_by_template', `${settings[first]!.settings.index.default_pipeline === 'logs-ecs' && mapping[first]!.mappings.properties.event?.properties?.id?.type === 'keyword'}`, '', 'no index was auto-created before the template and pipeline were installed');
  record('restart.queued_before_duplicates', queuedA.docs - queuedA.distinct, 'docs');
  const acrossB = await settled(() => tally(search, 'logs-restart-*', restartB), 1_000, 30_000, 120_000);
  const acrossLogs = execFileSync('docker', ['logs', across.id], { maxBuffer: 64 << 20 }).toString().split('\n').filter(Boolean).length;
  record('restart.written_across_restart_lost', 1_000 - acrossB.distinct, 'of 1000', `written at ~100 lines/s while the shipper restarted; docker logs still has ${acrossLogs}`);
  const deadLetters = await count('logs-deadletter-*', { match_all: {} }).catch(() => 0);
  const errors = execFileSync('docker', ['exec', shipper.id, 'bash', '-c', 'cd /var/lib/log-shipper; for f in es-errors.log rejected.log; do [ -f $f ] && echo "$f: $(grep -c . $f) lines" && head -c 1500 $f; done; true']).toString().trim();
  record('restart.dead_letters', deadLetters, 'docs');
  const tail = execFileSync('docker', ['logs', '--tail', '400', shipper.id], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().split('\n')
    .filter((l) => /resumed|suspended|re-starting|installed|cannot|lost|discard/.test(l) && !/checkConn/.test(l)).slice(-8);
  console.log(`    shipper log, restart phase:\n${tail.map((l) => `      ${l.slice(0, 220)}`).join('\n')}`);
  if (errors) console.log(`    shipper error files:\n${errors.split('\n').map((l) => `      ${l}`).join('\n')}`);
  const refused = await d.createContainer({ Image: base.ref, Cmd: ['true'], Labels: labels, HostConfig: { NetworkMode: network.name, LogConfig: { Type: 'syslog', Config: { 'syslog-address': `tcp://127.0.0.1:${await freePort()}`, 'syslog-format': 'rfc5424micro', tag: 'nobody' } } } });
  const refusal = await refused.start().then(() => 'started', (error: Error) => error.message.replace(/\s+/g, ' ').slice(0, 160));
  record('restart.start_without_listener', refusal, '', 'a container whose syslog address has no listener at all');

  // 7. Retention
  step(`retention: shipper restarted with RETENTION_SECONDS=${RETENTION_S}, an expired index is deleted`);
  await shipper.stop({ t: 10 });
  await shipper.remove();
  shipper = await create({ name: `rs-search-shipper2-${runId.slice(-6)}`, ...shipperOptions([`RETENTION_SECONDS=${RETENTION_S}`, 'MAINTAIN_INTERVAL_S=5']) });
  const probeIndex = `logs-retention-probe-${new Date().toISOString().slice(0, 10).replace(/-/g, '.')}`;
  await json(`${search}/${probeIndex}`, { method: 'PUT' });
  const created = performance.now();
  await shipper.start();
  const gone = async () => {
    const r = await fetch(`${search}/${probeIndex}`, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    return r.status === 404 || undefined;
  };
  await until(`${probeIndex} deleted`, (RETENTION_S + 60) * 1000, gone, 500);
  record('retention.index_deleted_after_seconds', seconds(created), 's', `retention ${RETENTION_S} s, checked every 5 s`);
  const remaining = (await json(`${search}/_cat/indices/logs-*?format=json&h=index`)).map((r: { index: string }) => r.index).sort();
  record('retention.logs_indices_left', remaining.length, 'indices', remaining.join(' ') || 'none');
  const shipperLog = execFileSync('docker', ['logs', shipper.id]).toString().split('\n').filter((l) => l.includes('retention')).slice(0, 5);
  console.log(shipperLog.map((l) => `    ${l}`).join('\n'));

  record('opensearch.rss_mib_after', rssMiB(os.id), 'MiB', 'the fresh node, after the restart backlog and retention');
  record('shipper.rss_mib', rssMiB(shipper.id), 'MiB', 'all processes of the container');
}

/** Documents of a batch and how many of them repeat an event.id (exact: one shard, terms buckets). */
async function tally(search: string, index: string, batch: string): Promise<{ docs: number; distinct: number }> {
  const body = { size: 0, query: { term: { 'labels.batch': batch } }, aggs: { repeated: { terms: { field: 'event.id', min_doc_count: 2, size: 10_000 } } } };
  const r = await json(`${search}/${index}/_search?track_total_hits=true`, { method: 'POST', body: JSON.stringify(body) });
  const docs: number = r.hits.total.value;
  const extra = (r.aggregations.repeated.buckets as Array<{ doc_count: number }>).reduce((sum, b) => sum + b.doc_count - 1, 0);
  return { docs, distinct: docs - extra };
}

/** Polls a batch's tally until `want` documents are there or the count has not changed for `quietMs`. */
async function settled(probe: () => Promise<{ docs: number; distinct: number }>, want: number, quietMs: number, timeoutMs: number): Promise<{ docs: number; distinct: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = { docs: -1, distinct: -1 };
  let since = Date.now();
  for (;;) {
    const now = await probe().catch(() => ({ docs: 0, distinct: 0 }));
    if (now.distinct >= want) return now;
    if (now.docs !== last.docs) {
      last = now;
      since = Date.now();
    } else if ((now.docs > 0 && Date.now() - since >= quietMs) || Date.now() > deadline) {
      return now;
    }
    await sleep(1_000);
  }
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** How long a container's command ran, from the engine's own start and finish times. */
async function ranSeconds(container: Docker.Container): Promise<number> {
  const state = (await container.inspect()).State;
  return Math.round((Date.parse(state.FinishedAt) - Date.parse(state.StartedAt)) / 10) / 100;
}

/** Resident memory of every process in a container (VmRSS summed), in MiB. */
function rssMiB(container: string): number {
  const kib = execFileSync('docker', ['exec', container, 'bash', '-c', "cat /proc/[0-9]*/status | awk '/^VmRSS/ {s+=$2} END {print s}'"]).toString();
  return Math.round(Number(kib.trim()) / 102.4) / 10;
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    const removed = await removeRun(currentRunId());
    console.log(`\nremoved ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes of run ${currentRunId()}`);
  })();
  return cleaning;
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

// A fetch to a published port whose container does not listen yet is accepted by docker-proxy and then
// hangs with no referenced handle (undici's socket and AbortSignal.timeout's timer are both unref'd):
// this interval keeps the process alive until the timeout aborts it.
const keepAlive = setInterval(() => undefined, 60_000);
try {
  await main();
} catch (error) {
  console.error(`\nFAILED: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
  const out = join(REPORTS_DIR, 'search-tier');
  mkdirSync(out, { recursive: true });
  const file = join(out, `log-shipper-prove-${currentRunId()}.json`);
  writeFileSync(file, JSON.stringify({ runId: currentRunId(), finishedAt: new Date().toISOString(), figures }, null, 2));
  console.log(`figures written to ${file}`);
  clearInterval(keepAlive);
}
