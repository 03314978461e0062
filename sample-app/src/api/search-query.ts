import { HttpError } from './errors.ts';
import type { LogQuery } from './search.ts';

const PATTERNS = {
  requestId: /^[A-Za-z0-9._-]{1,64}$/,
  traceId: /^[0-9a-f]{32}$/,
  service: /^[a-z0-9][a-z0-9_-]{0,62}$/,
  q: /^[^\u0000-\u001f\u007f]{1,200}$/,
} as const;

/** The query string of GET /v1/search/logs (see the OpenAPI document): at least one criterion, each well-formed. */
export function parseLogQuery(query: Record<string, unknown>): LogQuery {
  const one = (name: keyof typeof PATTERNS): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !PATTERNS[name].test(value)) throw new HttpError(400, 'bad_request', `query parameter ${name} is malformed`);
    return value;
  };
  const sizeRaw = query.size;
  const size = sizeRaw === undefined ? 20 : Number(sizeRaw);
  if (!Number.isInteger(size) || size < 1 || size > 100) throw new HttpError(400, 'bad_request', 'query parameter size must be an integer in [1, 100]');
  const requestId = one('requestId');
  const traceId = one('traceId');
  const text = one('q');
  const service = one('service');
  if (!requestId && !traceId && !text) throw new HttpError(400, 'bad_request', 'give at least one of requestId, traceId, q');
  return { size, ...(requestId ? { requestId } : {}), ...(traceId ? { traceId } : {}), ...(text ? { text } : {}), ...(service ? { service } : {}) };
}
