import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.ts';

function capture(format: 'json' | 'ecs'): Record<string, unknown> {
  const lines: string[] = [];
  const log = createLogger('sample-api', format, 'info', { write: (line: string) => lines.push(line) });
  log.child({ requestId: 'req-1' }).info({ status: 201 }, 'request');
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('structured logs', () => {
  it('json: one JSON object per line with the request id', () => {
    expect(capture('json')).toMatchObject({ level: 30, service: 'sample-api', requestId: 'req-1', status: 201, msg: 'request' });
  });

  it('ecs: Elastic Common Schema field names', () => {
    const line = capture('ecs');
    expect(line).toMatchObject({ 'log.level': 'info', 'service.name': 'sample-api', message: 'request', requestId: 'req-1' });
    expect(Date.parse(String(line['@timestamp']))).not.toBeNaN();
  });
});
