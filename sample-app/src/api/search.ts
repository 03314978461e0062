import { Client } from '@opensearch-project/opensearch';
import { HttpError } from './errors.ts';

/** Seconds a client is asked to wait before searching again while the search tier is unavailable. */
export const SEARCH_RETRY_AFTER_SECONDS = 5;
/** The stack's log indices (services/log-shipper: `logs-<service>-YYYY.MM.DD`). */
const LOG_INDICES = 'logs-*';

export interface LogQuery {
  requestId?: string;
  traceId?: string;
  /** Full text in `message`. */
  text?: string;
  service?: string;
  size: number;
}

/** One log line as the API returns it (ECS names flattened to the API's camelCase). */
export interface LogHit {
  timestamp: string;
  service: string | null;
  level: string | null;
  message: string | null;
  requestId: string | null;
  traceId: string | null;
  spanId: string | null;
}

interface Source {
  '@timestamp'?: string;
  message?: string;
  msg?: string;
  service?: { name?: string };
  log?: { level?: string };
  http?: { request?: { id?: string } };
  trace?: { id?: string };
  span?: { id?: string };
}

/**
 * GET /v1/search/logs: the stack's log lines by request id, trace id or text, newest first, through the
 * official OpenSearch client (the same calls work against Elasticsearch 7.10+/8). One attempt within
 * `timeoutMs`: while the search tier is down or slow the endpoint answers 503 + Retry-After at once and
 * no other endpoint is affected (nothing else calls the search tier).
 */
export class LogSearch {
  private readonly client: Client | undefined;

  constructor(url: string | undefined, private readonly timeoutMs: number) {
    this.client = url ? new Client({ node: url, requestTimeout: timeoutMs, maxRetries: 0 }) : undefined;
  }

  async search(q: LogQuery): Promise<LogHit[]> {
    if (!this.client) throw new HttpError(503, 'search_not_configured', 'this deployment has no search tier (SEARCH_URL is not set)');
    const filter: Array<Record<string, Record<string, unknown>>> = [{ range: { '@timestamp': { gte: 'now-7d' } } }];
    if (q.requestId) filter.push({ term: { 'http.request.id': q.requestId } });
    if (q.traceId) filter.push({ term: { 'trace.id': q.traceId } });
    if (q.service) filter.push({ term: { 'service.name': q.service } });
    const must = q.text ? [{ match: { message: { query: q.text, operator: 'and' as const } } }] : [];
    let body: { hits?: { hits?: Array<{ _source?: Source }> } };
    try {
      const response = await this.client.search({
        index: LOG_INDICES,
        ignore_unavailable: true,
        allow_no_indices: true,
        body: { query: { bool: { filter, must } }, sort: [{ '@timestamp': { order: 'desc' } }], size: q.size },
      }, { requestTimeout: this.timeoutMs, maxRetries: 0 });
      body = response.body as typeof body;
    } catch (error) {
      throw new HttpError(503, 'search_unavailable', `the search tier is unavailable (${(error as Error).name}: ${(error as Error).message.slice(0, 120)}), retry later`, undefined, {
        'Retry-After': String(SEARCH_RETRY_AFTER_SECONDS),
      });
    }
    return (body.hits?.hits ?? []).map((h) => toHit(h._source ?? {}));
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

function toHit(s: Source): LogHit {
  return {
    timestamp: s['@timestamp'] ?? '',
    service: s.service?.name ?? null,
    level: s.log?.level ?? null,
    message: s.message ?? s.msg ?? null,
    requestId: s.http?.request?.id ?? null,
    traceId: s.trace?.id ?? null,
    spanId: s.span?.id ?? null,
  };
}
