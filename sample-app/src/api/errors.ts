import { BreakerOpenError } from '../shared/breaker.ts';
import { CommitUnknownError } from '../shared/db.ts';
import { isConnectionError } from '../shared/retry.ts';
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

/** Maps anything thrown in a handler to the response it deserves: bad input is never a 5xx. */
export function toHttpError(error: unknown): HttpError {
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
  if (error instanceof BreakerOpenError || error instanceof CommitUnknownError || isConnectionError(error) || e.code === '57014') {
    return new HttpError(503, 'unavailable', 'a dependency is unavailable, retry later', undefined, { 'Retry-After': '1' });
  }
  return new HttpError(500, 'internal', 'internal error');
}
