import { describe, expect, it } from 'vitest';
import { loggingFailures } from '../../requests.ts';

const signal = new AbortController().signal;

describe('loggingFailures', () => {
  it('counts failed outcomes and exceptions by status, not successes', async () => {
    const { request, failures } = loggingFailures(async (i) => {
      if (i === 2) throw new Error('boom');
      return i === 1 ? { ok: false, status: 503 } : { ok: true, status: 200 };
    });
    const since = performance.now() - 1;
    await request(0, signal);
    await request(1, signal);
    await expect(request(2, signal)).rejects.toThrow('boom');
    expect(failures.bySecond(since)).toEqual({ 0: { '503': 1, exception: 1 } });
    failures.clear();
    expect(failures.bySecond(since)).toEqual({});
  });
});
