import type { Budgets } from '../src/shared/budgets.ts';
import { PROMISE_ENV } from '../src/shared/budgets.ts';
import { thresholds } from '../src/shared/thresholds.ts';
import { MEASUREMENT_TOLERANCE_MS } from './budget-exprs.ts';
import { contractTable, figureId, regressionCases } from './table.ts';
import { DEPENDENCIES, ENDPOINTS, type ContractCell, type Expectation, type FigureSpec, type RegressionCase } from './types.ts';

/** Measured figures taken from a results file (reports/latest/results.json), by result id. */
export interface MeasuredFigures {
  source: string;
  runId: string | null;
  values: Record<string, { value: number; unit: string; target: string | null; pass: boolean }>;
}

export const MEASURED_MARKER = 'measured-figures';
const NOT_MEASURED = 'not measured yet';

const ms = (value: number) => `${value.toLocaleString('en-US')} ms`;
const escape = (text: string) => text.replaceAll('|', '\\|');

function cellText(e: Expectation, budgets: Budgets): string {
  const statuses = e.statuses.join(' / ');
  const retryAfter = e.retryAfter === 'required' ? ' RA' : e.retryAfter === 'when-safe' ? ' RA†' : '';
  const latency = `${e.latency.stat} ≤ ${ms(e.latency.bound.value(budgets))}`;
  return escape(`${statuses}${retryAfter} · ${latency}${e.degradedPath ? ` · via ${e.degradedPath}` : ''}`);
}

function figureRows(owner: ContractCell | RegressionCase, figures: FigureSpec[], budgets: Budgets, measured?: MeasuredFigures): string[] {
  return figures.map((f) => {
    const id = figureId(owner, f);
    const bound = f.bound.value(budgets);
    const target = `${f.op} ${bound}`;
    const m = measured?.values[id];
    const value = m ? `${m.value} ${m.unit} ${m.pass ? '✓' : '✗'}${m.target && m.target !== target ? ` (target at run: ${m.target})` : ''}` : NOT_MEASURED;
    return `| \`${id}\` | ${escape(f.what)} | ${f.unit} | ${escape(target)}${f.bound.expr === String(bound) ? '' : ` (${escape(f.bound.expr)})`} | ${value} |`;
  });
}

function budgetSection(budgets: Budgets): string[] {
  const b = budgets;
  return [
    '## Budgets',
    '',
    'The harness sets the promises from its timing profile; every timeout, retry count and backoff is derived from them',
    '(`sample-app/src/shared/budgets.ts`). Values below are for the defaults.',
    '',
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    `| \`${PROMISE_ENV.requestBudgetMs}\` | ${ms(b.promises.requestBudgetMs)} | the longest a client waits for the API's answer |`,
    `| \`${PROMISE_ENV.dbFailoverBudgetMs}\` | ${ms(b.promises.dbFailoverBudgetMs)} | the promised Postgres failover time |`,
    `| \`${PROMISE_ENV.cacheFailoverBudgetMs}\` | ${ms(b.promises.cacheFailoverBudgetMs)} | the promised Sentinel master switch |`,
    `| \`${PROMISE_ENV.queueFailoverBudgetMs}\` | ${ms(b.promises.queueFailoverBudgetMs)} | the promised time for RabbitMQ to come back |`,
    '',
    '| derived | value | from |',
    '| --- | --- | --- |',
    `| DB connect timeout | ${ms(b.db.connectTimeoutMs)} | a fifth of the request budget, at most ${ms(thresholds.dbConnectTimeoutMs)} |`,
    `| DB statement_timeout (API) | ${ms(b.db.statementTimeoutMs)} | the request budget less a connect and the answer reserve (${ms(b.request.answerReserveMs)}) |`,
    `| client read timeout per statement | min(statement_timeout + 500 ms, time left in the request) | a read timeout destroys the connection (no ROLLBACK) |`,
    `| Retry-After of a 503 | ${b.db.retryAfterSeconds} s | a tenth of the DB failover promise (1..30 s) |`,
    `| Retry-After of a 409 (key in flight) | ${b.inFlightRetryAfterSeconds} s | the request budget |`,
    `| Redis command timeout / breaker open / reconnect cap | ${ms(b.cache.commandTimeoutMs)} / ${ms(b.cache.breakerOpenMs)} / ${ms(b.cache.reconnectCapMs)} | a quarter and a tenth of the cache failover promise |`,
    `| AMQP reconnect cap / confirm timeout | ${ms(b.queue.reconnectCapMs)} / ${ms(b.queue.confirmTimeoutMs)} | a tenth of the queue failover promise; the confirm wait pauses while blocked |`,
    `| outbox poll / claim lease / batch | ${ms(b.outbox.pollIntervalMs)} / ${ms(b.outbox.claimLeaseMs)} / ${b.outbox.batchSize} | a confirm wait plus two statements |`,
    `| worker transient retry delays | ${b.worker.transientDelaysMs.join(', ')} ms (${b.worker.transientDelaysMs.length + 1} attempts, Σ ${ms(b.worker.transientDelaysMs.reduce((x, y) => x + y, 0))}) | span ≥ DB failover promise + connect + statement = ${ms(b.worker.transientCoverMs)} |`,
    `| worker unexpected-error retry delays | ${b.worker.unexpectedDelaysMs.join(', ')} ms | then the DLQ; permanent errors go to the DLQ at once |`,
    `| Node keepAliveTimeout / headersTimeout / requestTimeout | ${ms(b.http.keepAliveTimeoutMs)} / ${ms(b.http.headersTimeoutMs)} / ${ms(b.http.requestTimeoutMs)} | above nginx's upstream keepalive_timeout (${thresholds.proxyUpstreamKeepAliveSeconds} s) |`,
    `| Idempotency-Key TTL | ${thresholds.idempotencyKeyTtlSeconds / 3600} h | thresholds.idempotencyKeyTtlSeconds |`,
    '',
  ];
}

const RULES = [
  '## Rules every cell obeys',
  '',
  '- A dependency fault is never a 500: it is a 200 from a degraded path, or a 503.',
  '- A 503 carries `Retry-After` only when retrying is safe: a read, a write that certainly did not commit, or a write',
  '  with an `Idempotency-Key` (`RA` = always, `RA†` = when safe). A write whose COMMIT went unanswered and that has no',
  '  key gets 503 `commit_outcome_unknown` without `Retry-After`: check before sending it again.',
  '- Writes accept `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): stored with the effect in one',
  '  transaction; a retry gets the stored status and body with `Idempotent-Replayed: true`; the same key with another',
  '  request → 422; while the first request is still running → 409 + `Retry-After`. Keys are per API client.',
  '- No retried write is applied twice: an ambiguous commit is resolved by the key, not by the client\'s luck.',
  '- Events are committed with their write (outbox) and published after the response with confirms: at least once,',
  '  deduplicated by `eventId` in the worker (`processed_events`), so each effect happens once.',
  '- Reads that fail on the read path fall back to the primary path once (`X-Read-Source: primary`).',
  `- Through nginx a failed idempotent request (GET, PUT) is passed to the other instance once, within`,
  `  ${thresholds.proxyNextUpstreamTimeoutSeconds} s of its start (connect errors, fast 502/503); POSTs are never re-sent. The client waits at most`,
  `  ${thresholds.proxyNextUpstreamTimeoutSeconds} s + REQUEST_BUDGET_MS there. Latency bounds include ${MEASUREMENT_TOLERANCE_MS} ms of measurement tolerance.`,
  '',
];

/** CONTRACT.md: the contract table for `budgets`, with measured figures filled in where `measured` has them. */
export function renderContract(budgets: Budgets, measured?: MeasuredFigures): string {
  const lines: string[] = [
    '# sample-app contract: what clients get while a dependency fails',
    '',
    '<!-- Generated from sample-app/contract/table.ts by `node --import tsx sample-app/contract/generate.ts`. Do not edit:',
    '     sample-app/test/unit/contract.test.ts fails when this file is stale. -->',
    '',
    'For each endpoint and each state of each dependency: the statuses a client may get, whether a 503 carries',
    '`Retry-After`, the latency bound, and the degraded path that answers instead. Each cell lists the figures the',
    'fault-matrix suite records (`contract.<dependency>.<fault>.<figure>`: `refstack contract --all` and the nightly job run every',
    'cell the stack can produce, `npm test` one per dependency); the regression cases of the issue follow.',
    measured ? `Measured figures: \`${measured.source}\`${measured.runId ? ` (run ${measured.runId})` : ''}.` : 'Measured figures: none (no results file).',
    '',
    ...RULES,
    ...budgetSection(budgets),
  ];
  const header = `| state | ${ENDPOINTS.map((e) => `${e.method === 'ASYNC' ? '' : `${e.method} `}${e.path}`).join(' | ')} |`;
  for (const dependency of DEPENDENCIES) {
    const cells = contractTable.filter((c) => c.dependency === dependency);
    lines.push(`## ${dependency}`, '', header, `| --- |${ENDPOINTS.map(() => ' --- |').join('')}`);
    for (const c of cells) lines.push(`| **${c.fault}** | ${ENDPOINTS.map((e) => cellText(c.expectations[e.id], budgets)).join(' | ')} |`);
    lines.push('');
    for (const c of cells) {
      const notes = ENDPOINTS.map((e) => [e, c.expectations[e.id].note] as const).filter(([, note]) => note);
      lines.push(`### ${dependency} · ${c.fault}`, '', `Fault: ${c.injection}.`, '');
      const byNote = new Map<string, string[]>();
      for (const [e, note] of notes) byNote.set(note!, [...(byNote.get(note!) ?? []), e.method === 'ASYNC' ? 'events' : `${e.method} ${e.path}`]);
      for (const [note, endpoints] of byNote) lines.push(`- ${endpoints.join(', ')}: ${note}`);
      if (byNote.size) lines.push('');
      lines.push('| figure id | what | unit | target | measured |', '| --- | --- | --- | --- | --- |', ...figureRows(c, c.figures, budgets, measured), '');
    }
  }
  lines.push('## Regression cases (sample-app/test/integration/sample-app.test.ts)', '');
  for (const r of regressionCases) {
    lines.push(`### ${r.name}`, '', `${r.what}.`, '', '| figure id | what | unit | target | measured |', '| --- | --- | --- | --- | --- |', ...figureRows(r, r.figures, budgets, measured), '');
  }
  lines.push(`<!-- ${MEASURED_MARKER} ${JSON.stringify(measured ?? null)} -->`, '');
  return lines.join('\n');
}

/** The measured figures a rendered CONTRACT.md was generated with (its trailing marker), to re-render it exactly. */
export function measuredFromDocument(markdown: string): MeasuredFigures | undefined {
  const match = new RegExp(`<!-- ${MEASURED_MARKER} (.*) -->`).exec(markdown);
  if (!match) throw new Error(`CONTRACT.md has no "${MEASURED_MARKER}" marker: regenerate it`);
  return (JSON.parse(match[1]!) as MeasuredFigures | null) ?? undefined;
}

interface ResultsFileShape {
  runId?: string;
  results?: Array<{ id: string; value: number; unit: string; target: string | null; pass: boolean }>;
}

/** The contract's figures found in a results file (the last record of each id wins). */
export function measuredFromResults(results: ResultsFileShape, source: string): MeasuredFigures {
  const values: MeasuredFigures['values'] = {};
  for (const r of results.results ?? []) {
    if (r.id.startsWith('contract.')) values[r.id] = { value: r.value, unit: r.unit, target: r.target, pass: r.pass };
  }
  return { source, runId: results.runId ?? null, values };
}
