import { Pool } from 'undici';
import type { LoadRequest, RequestOutcome } from './open-model.ts';

/**
 * Load traffic may only go to this machine's loopback (published container ports), unless a run
 * against staging is opted into twice: by the caller (`allowStaging`) and by the operator
 * (REFSTACK_STAGING_LOAD=1). A typo in a URL must never send load to someone else's host.
 */
export const STAGING_OPT_IN_ENV = 'REFSTACK_STAGING_LOAD';

export function isLoopbackHost(hostname: string): boolean {
  if (hostname === '[::1]' || hostname === '::1') return true;
  return /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(hostname) && hostname.split('.').every((part) => Number(part) <= 255);
}

export function assertLoadTarget(url: string | URL, options: { allowStaging?: boolean } = {}): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`load target "${String(url)}" is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`load target ${parsed.href} must be http: or https:`);
  }
  if (isLoopbackHost(parsed.hostname)) return parsed;
  if (options.allowStaging && process.env[STAGING_OPT_IN_ENV] === '1') return parsed;
  throw new Error(
    `refusing to send load to ${parsed.host}: load and fault traffic goes only to 127.0.0.1 (use the published port, not "localhost" or a remote host). ` +
      `For staging, pass allowStaging: true and set ${STAGING_OPT_IN_ENV}=1.`,
  );
}

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  /** Path and query, relative to the base URL's path. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  /** Statuses that count as ok; default: any status below 400. */
  okStatuses?: readonly number[];
  /** Parse the response body as JSON and return it (otherwise it is discarded unread). */
  readJson?: boolean;
}

export interface HttpOutcome extends RequestOutcome {
  status: number;
  body?: unknown;
}

export interface HttpLoadClientOptions {
  baseUrl: string;
  /** Keep-alive connections to the target (default 64). */
  connections?: number;
  allowStaging?: boolean;
  /** Headers sent with every call (a call's own headers win). */
  headers?: Record<string, string>;
}

export interface HttpLoadClient {
  readonly origin: string;
  call(call: HttpCall, signal?: AbortSignal): Promise<HttpOutcome>;
  /** Adapts a per-index call builder to runOpenModel's `request`. */
  requester(build: (i: number) => HttpCall): LoadRequest;
  close(): Promise<void>;
}

export function createHttpLoadClient(options: HttpLoadClientOptions): HttpLoadClient {
  const base = assertLoadTarget(options.baseUrl, { allowStaging: options.allowStaging });
  const connections = options.connections ?? 64;
  if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) {
    throw new Error(`createHttpLoadClient: connections must be an integer from 1 to 10000, got ${connections}`);
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  // The generator's own timeout aborts requests; undici's must not fire first and mask it.
  const pool = new Pool(base.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const defaultHeaders = options.headers ?? {};

  const call = async (spec: HttpCall, signal?: AbortSignal): Promise<HttpOutcome> => {
    const headers: Record<string, string> = { ...defaultHeaders, ...spec.headers };
    let payload: string | undefined;
    if (spec.json !== undefined) {
      payload = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    }
    const path = `${prefix}${spec.path.startsWith('/') ? spec.path : `/${spec.path}`}`;
    const response = await pool.request({ method: spec.method, path, headers, body: payload, signal });
    const status = response.statusCode;
    const ok = spec.okStatuses ? spec.okStatuses.includes(status) : status < 400;
    if (!spec.readJson) {
      await response.body.dump();
      return { ok, status };
    }
    const text = await response.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { ok, status, body };
  };

  return {
    origin: base.origin,
    call,
    requester: (build) => (i, signal) => call(build(i), signal),
    close: () => pool.close(),
  };
}
