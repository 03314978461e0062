import { createHash } from 'node:crypto';
import type { Tx } from '../shared/db.ts';
import { HttpError } from './errors.ts';

/**
 * Idempotency-Key for writes (draft-ietf-httpapi-idempotency-key-header; Stripe's semantics):
 * the key and the write's outcome are stored in the write's own transaction, so a key is
 * remembered exactly when its effect committed. A retry with the same key and the same request
 * gets the stored status and body with `Idempotent-Replayed: true`; with a different request 422;
 * while the first request is still running (its transaction holds the key's lock) 409 + Retry-After.
 * A request that failed left no key behind, so its retry runs again. Keys are per API client and
 * expire after thresholds.idempotencyKeyTtlSeconds (24 h).
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_KEY_LENGTH = 255;

export interface IdempotencyRequest {
  key: string;
  /** sha256 of method, path and canonical JSON body. */
  fingerprint: string;
}

export interface StoredOutcome {
  status: number;
  body: unknown;
}

/**
 * The key from the header: an RFC 8941 sf-string ("…", as the draft defines it) or, as Stripe
 * accepts, the bare token. 1..255 printable ASCII characters; anything else is a 400.
 */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let key = raw.trim();
  if (key.startsWith('"')) {
    const quoted = /^"((?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(key);
    if (!quoted) throw invalidKey('is not a valid quoted string');
    key = quoted[1]!.replace(/\\(["\\])/g, '$1');
  }
  if (!key.length) throw invalidKey('is empty');
  if (key.length > MAX_KEY_LENGTH) throw invalidKey(`is longer than ${MAX_KEY_LENGTH} characters`);
  if (!/^[\x20-\x7e]+$/.test(key)) throw invalidKey('must be printable ASCII');
  return key;
}

const invalidKey = (why: string) => new HttpError(400, 'invalid_idempotency_key', `${IDEMPOTENCY_HEADER} ${why}`);

/** JSON with object keys sorted at every level: the same request always has the same fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`).digest('hex');
}

/**
 * First statements of an idempotent write's transaction: takes the key's lock (held until the
 * transaction ends, so a concurrent duplicate gets 409 instead of waiting), then returns the
 * stored outcome of an earlier request with this key, if its effect committed.
 */
export async function claimKey(tx: Tx, client: string, request: IdempotencyRequest, inFlightRetryAfterSeconds: number): Promise<StoredOutcome | undefined> {
  const { rows: lock } = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked', [`idempotency:${client}:${request.key}`]);
  if (!lock[0]?.locked) {
    throw new HttpError(409, 'idempotency_key_in_use', `a request with this ${IDEMPOTENCY_HEADER} is still being processed; retry after the delay`, undefined, {
      'Retry-After': String(inFlightRetryAfterSeconds),
    });
  }
  const { rows } = await tx.query<{ fingerprint: string; status: number; body: unknown }>(
    'SELECT fingerprint, status, body FROM idempotency_keys WHERE client = $1 AND key = $2 AND expires_at > now()',
    [client, request.key],
  );
  const prior = rows[0];
  if (!prior) return undefined;
  if (prior.fingerprint !== request.fingerprint) {
    throw new HttpError(422, 'idempotency_key_reused', `this ${IDEMPOTENCY_HEADER} was used with a different request; send a new key for a new request`);
  }
  return { status: prior.status, body: prior.body };
}

/** Last statement before COMMIT: the outcome, remembered for `ttlSeconds` (an expired row is replaced). */
export async function storeOutcome(tx: Tx, client: string, request: IdempotencyRequest, outcome: StoredOutcome, ttlSeconds: number): Promise<void> {
  await tx.query(
    `INSERT INTO idempotency_keys (client, key, fingerprint, status, body, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second')
     ON CONFLICT (client, key) DO UPDATE
       SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body, created_at = now(), expires_at = EXCLUDED.expires_at`,
    [client, request.key, request.fingerprint, outcome.status, JSON.stringify(outcome.body), ttlSeconds],
  );
}
