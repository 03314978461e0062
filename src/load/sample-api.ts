import type { HttpCall, HttpLoadClient } from './http.ts';
import type { LoadRequest } from './open-model.ts';
import { API_KEY_HEADER, needsBody, newMixState, observeResponse, planCall, userCreation, type ApiKey, type MixState, type PlannedCall } from './traffic-mix.ts';

/** The sample API's traffic mix (src/load/traffic-mix.ts) as a runOpenModel `request`. */

export function toHttpCall(call: PlannedCall): HttpCall {
  return {
    method: call.method,
    path: call.path,
    headers: { [API_KEY_HEADER]: call.apiKey.key },
    ...(call.json !== undefined ? { json: call.json } : {}),
    okStatuses: call.okStatuses,
    readJson: needsBody(call),
  };
}

/** Creates `count` users through the API (spread over the keys) so sessions and orders have owners. */
export async function prepareMixState(client: HttpLoadClient, keys: readonly ApiKey[], runTag: string, count: number): Promise<MixState> {
  if (!Number.isInteger(count) || count < 1 || count > 1_000) throw new Error(`prepareMixState: count must be 1..1000, got ${count}`);
  const state = newMixState(runTag, []);
  for (let n = 0; n < count; n++) {
    const call = userCreation(`${runTag}-setup-${n}`, keys[n % keys.length]!);
    const outcome = await client.call(toHttpCall(call));
    if (!outcome.ok) throw new Error(`prepareMixState: POST /v1/users answered ${outcome.status}; is the API up and is the key "${call.apiKey.name}" configured?`);
    observeResponse(state, call, outcome.status, outcome.body);
  }
  if (state.userIds.length !== count) throw new Error(`prepareMixState: created ${state.userIds.length} of ${count} users (the response had no id)`);
  return state;
}

/**
 * runOpenModel numbers each run's requests from 0; a suite reuses one state across runs (steps of a
 * capacity search, a failover run after a latency run), so calls are numbered by the state instead:
 * call numbers, and the sign-ups derived from them, stay unique for the state's whole life.
 */
export function sampleApiRequester(client: HttpLoadClient, keys: readonly ApiKey[], state: MixState): LoadRequest {
  return async (_i, signal) => {
    const call = planCall(state.callsPlanned++, state, keys);
    const outcome = await client.call(toHttpCall(call), signal);
    observeResponse(state, call, outcome.status, outcome.body);
    return { ok: outcome.ok, status: outcome.status };
  };
}
