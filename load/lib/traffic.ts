import { check, fail } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { API_KEY_HEADER, needsBody, newMixState, observeResponse, planCall, userCreation, type ApiKey, type MixState, type PlannedCall } from '../../src/load/traffic-mix.ts';
import { apiKeys, baseUrl, numberEnv } from './env.ts';

/** What setup() hands every VU: the run's tag and the users sessions and orders belong to. */
export interface SetupData {
  runTag: string;
  userIds: string[];
}

const BASE_URL = baseUrl();
const KEYS: ApiKey[] = apiKeys();
/** Well above the latency target: a slow answer is measured as slow, not cut short into an error. */
const REQUEST_TIMEOUT = '10s';

let state: MixState | undefined;

function send(call: PlannedCall, tags: Record<string, string>) {
  const body = call.json === undefined ? null : JSON.stringify(call.json);
  const headers: Record<string, string> = { [API_KEY_HEADER]: call.apiKey.key };
  if (body !== null) headers['Content-Type'] = 'application/json';
  const response = http.request(call.method, `${BASE_URL}${call.path}`, body, {
    headers,
    timeout: REQUEST_TIMEOUT,
    responseCallback: http.expectedStatuses(...call.okStatuses),
    tags: { name: call.route, operation: call.operation, client: call.apiKey.name, ...tags },
  });
  check(response, { [`${call.operation} answered ${call.okStatuses.join(' or ')}`]: (r) => call.okStatuses.includes(r.status) });
  return response;
}

function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Creates the user pool (USERS, default 20) spread over the API keys. */
export function setupUsers(): SetupData {
  const runTag = `k6-${Date.now().toString(36)}`;
  const pool = newMixState(runTag, []);
  const count = Math.round(numberEnv('USERS', 20));
  for (let n = 0; n < count; n++) {
    const call = userCreation(`${runTag}-setup-${n}`, KEYS[n % KEYS.length]!);
    const response = send(call, { phase: 'setup' });
    observeResponse(pool, call, response.status, jsonBody(response.body));
  }
  if (!pool.userIds.length) fail(`setup: no user could be created at ${BASE_URL}/v1/users; check BASE_URL and API_KEYS`);
  return { runTag, userIds: pool.userIds };
}

/** One call of the traffic mix; iterationInTest numbers calls uniquely across VUs. */
export function mixIteration(data: SetupData, tags: Record<string, string> = {}): void {
  state ??= newMixState(data.runTag, data.userIds);
  const call = planCall(exec.scenario.iterationInTest, state, KEYS);
  const response = send(call, tags);
  if (needsBody(call)) observeResponse(state, call, response.status, jsonBody(response.body));
}
