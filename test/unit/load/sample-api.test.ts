import { describe, expect, it } from 'vitest';
import type { HttpCall, HttpLoadClient, HttpOutcome } from '../../../src/load/http.ts';
import { sampleApiRequester } from '../../../src/load/sample-api.ts';
import { newMixState } from '../../../src/load/traffic-mix.ts';

/** Records the calls a requester makes; every sign-up succeeds, the way a fresh API answers. */
function recordingClient(): HttpLoadClient & { signups: string[] } {
  const signups: string[] = [];
  let id = 0;
  return {
    origin: 'http://127.0.0.1:1',
    signups,
    async call(call: HttpCall): Promise<HttpOutcome> {
      if (call.path === '/v1/users') signups.push((call.json as { email: string }).email);
      return { ok: true, status: 201, body: { id: String(++id) } } as HttpOutcome;
    },
    requester: () => {
      throw new Error('not used');
    },
    close: async () => undefined,
  };
}

describe('sample API requester', () => {
  it('keeps sign-ups unique when one state serves several runs that each number requests from 0', async () => {
    const client = recordingClient();
    const state = newMixState('t', []);
    const request = sampleApiRequester(client, [{ name: 'web', key: 'k' }], state);
    const signal = new AbortController().signal;
    for (let run = 0; run < 3; run++) for (let i = 0; i < 200; i++) await request(i, signal);
    expect(client.signups.length).toBeGreaterThan(3);
    expect(new Set(client.signups).size).toBe(client.signups.length);
  });
});
