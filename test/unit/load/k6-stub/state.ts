/** Shared by the stand-ins for k6's modules and the test that drives a bundled script in Node. */
export interface StubRequest {
  method: string;
  url: string;
  body: string | null;
  params: { headers?: Record<string, string>; tags?: Record<string, string>; responseCallback?: { expected: number[] }; timeout?: string };
}

export interface K6Stub {
  requests: StubRequest[];
  checks: { passed: number; failed: number };
  iteration: number;
  startTime: number;
  /** Answer for a request; default: 201 with a fresh id for POSTs, 200 otherwise. */
  respond?: (request: StubRequest) => { status: number; body: string };
}

export function stub(): K6Stub {
  const holder = globalThis as unknown as { __K6_STUB__?: K6Stub };
  holder.__K6_STUB__ ??= { requests: [], checks: { passed: 0, failed: 0 }, iteration: 0, startTime: Date.now() };
  return holder.__K6_STUB__;
}
