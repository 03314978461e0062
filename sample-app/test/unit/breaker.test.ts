import { describe, expect, it } from 'vitest';
import { BreakerOpenError, CircuitBreaker } from '../../src/shared/breaker.ts';

describe('circuit breaker', () => {
  const setup = () => {
    let now = 0;
    const states: string[] = [];
    const breaker = new CircuitBreaker('redis', { failureThreshold: 3, openMs: 1_000, now: () => now, onState: (s) => states.push(s) });
    return { breaker, states, advance: (ms: number) => (now += ms) };
  };
  const fail = () => Promise.reject(new Error('down'));

  it('opens after the threshold of consecutive failures and then fails fast without calling', async () => {
    const { breaker } = setup();
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    let called = false;
    await expect(breaker.run(async () => (called = true))).rejects.toBeInstanceOf(BreakerOpenError);
    expect(called).toBe(false);
  });

  it('a success resets the failure count', async () => {
    const { breaker } = setup();
    await expect(breaker.run(fail)).rejects.toThrow();
    await expect(breaker.run(fail)).rejects.toThrow();
    await breaker.run(async () => 1);
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });

  it('after openMs one probe is let through: success closes, failure reopens', async () => {
    const { breaker, states, advance } = setup();
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    advance(1_000);
    expect(breaker.state).toBe('half-open');
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    advance(1_000);
    expect(await breaker.run(async () => 'ok')).toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });
});
