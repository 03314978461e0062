import { stub, type StubRequest } from './state.ts';

let ids = 0;

function request(method: string, url: string, body: string | null, params: StubRequest['params']) {
  const recorded: StubRequest = { method, url, body, params };
  stub().requests.push(recorded);
  const answer = stub().respond?.(recorded) ?? (method === 'POST' ? { status: 201, body: JSON.stringify({ id: String(++ids) }) } : { status: 200, body: '{}' });
  return { status: answer.status, body: answer.body };
}

function expectedStatuses(...statuses: number[]) {
  return { expected: statuses };
}

export default { request, expectedStatuses };
