import type { StackHandle } from '../../src/core/spec.ts';

export interface ApiCall {
  status: number;
  body: unknown;
  headers?: Headers;
}

/** The sample API as its clients reach it: through nginx when the stack runs it, else the first API instance. */
export interface ApiClient {
  baseUrl: string;
  key: string;
  /** One request with a bounded timeout; status 0 when no answer came (never throws). */
  call(method: string, path: string, body?: unknown, timeoutMs?: number, headers?: Record<string, string>): Promise<ApiCall>;
  createUser(label: string): Promise<string>;
  createOrder(userId: string, productId?: string, timeoutMs?: number): Promise<ApiCall>;
}

export async function apiClient(stack: StackHandle, options: { client?: string; direct?: boolean } = {}): Promise<ApiClient> {
  const entry = stack.has('nginx') && !options.direct ? stack.first('nginx') : stack.first('sample-api');
  const baseUrl = await entry.url('http');
  const key = stack.apiKey(options.client);
  const call = async (method: string, path: string, body?: unknown, timeoutMs = 5_000, headers: Record<string, string> = {}): Promise<ApiCall> => {
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // non-JSON bodies stay text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    } catch {
      return { status: 0, body: undefined };
    }
  };
  return {
    baseUrl,
    key,
    call,
    async createUser(label) {
      const r = await call('POST', '/v1/users', { email: `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`, name: `Drill ${label}` });
      if (r.status !== 201) throw new Error(`POST /v1/users answered ${r.status}: ${JSON.stringify(r.body)} (is the stack up?)`);
      return (r.body as { id: string }).id;
    },
    createOrder: (userId, productId = '7', timeoutMs?: number) => call('POST', '/v1/orders', { userId, items: [{ productId, quantity: 1 }] }, timeoutMs),
  };
}
