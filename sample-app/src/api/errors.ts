import { classify, CommitOutcomeUnknownError } from '../shared/transient.ts';
import type { ValidationDetail } from './validation.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly details?: ValidationDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ErrorContext {
  /** The request carries an Idempotency-Key: a retry of an ambiguous write is resolved by it. */
  keyed: boolean;
  /** Retry-After (s) for a dependency fault (budgets.db.retryAfterSeconds). */
  retryAfterSeconds: number;
}

/**
 * Maps anything thrown in a handler to the response it deserves: bad input is never a 5xx, a
 * dependency fault is a 503 (never a 500), and Retry-After is sent only when retrying is safe —
 * not for a write whose COMMIT outcome is unknown and that carries no Idempotency-Key.
 */
export function toHttpError(error: unknown, context: ErrorContext): HttpError {
  if (error instanceof HttpError) return error;
  const e = error as { status?: number; statusCode?: number; type?: string; code?: string; message?: string };
  // body-parser / router errors carry their own 4xx status.
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (e.type === 'entity.too.large') return new HttpError(413, 'payload_too_large', 'request body is larger than the limit');
    if (e.type === 'entity.parse.failed') return new HttpError(400, 'malformed_json', 'request body is not valid JSON');
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return new HttpError(415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
    return new HttpError(status, 'bad_request', e.message ?? 'bad request');
  }
  if (error instanceof URIError) return new HttpError(400, 'bad_request', 'malformed percent-encoding in the URL');
  switch (e.code) {
    case '23505':
      return new HttpError(409, 'conflict', 'already exists');
    case '23503':
      return new HttpError(422, 'unprocessable', 'a referenced record does not exist');
    case '22P02':
    case '22003':
    case '22001':
    case '22021':
    case '22P05':
      return new HttpError(400, 'bad_request', 'a value is out of range or malformed');
  }
  const retryAfter = { 'Retry-After': String(context.retryAfterSeconds) };
  if (error instanceof CommitOutcomeUnknownError) {
    return context.keyed
      ? new HttpError(503, 'commit_outcome_unknown', 'the write may have been applied; retry with the same Idempotency-Key to get its outcome', undefined, retryAfter)
      : new HttpError(503, 'commit_outcome_unknown', 'the write may or may not have been applied: check before sending it again, or send an Idempotency-Key');
  }
  const c = classify(error);
  if (c.class === 'transient') return new HttpError(503, 'unavailable', `a dependency is unavailable (${c.reason}), retry later`, undefined, retryAfter);
  if (c.class === 'permanent') return new HttpError(422, 'unprocessable', 'the request cannot be applied');
  return new HttpError(500, 'internal', 'internal error');
}
