import { afterEach, describe, expect, it } from 'vitest';
import { assertLoadTarget, createHttpLoadClient, isLoopbackHost, STAGING_OPT_IN_ENV } from '../../../src/load/http.ts';

describe('load target guard', () => {
  afterEach(() => {
    delete process.env[STAGING_OPT_IN_ENV];
  });

  it.each(['127.0.0.1', '127.1.2.3', '[::1]'])('accepts loopback %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['localhost', '10.0.0.1', '127.0.0.256', '127.0.0.1.example.com', 'staging.example.com', '0.0.0.0'])('rejects %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback target unless both the caller and the operator opt into staging', () => {
    const url = 'https://staging.example.com/api';
    expect(() => assertLoadTarget(url)).toThrow(/only to 127\.0\.0\.1.*REFSTACK_STAGING_LOAD=1/);
    expect(() => assertLoadTarget(url, { allowStaging: true })).toThrow(/refusing to send load to staging\.example\.com/);
    process.env[STAGING_OPT_IN_ENV] = '1';
    expect(() => assertLoadTarget(url)).toThrow(/refusing/);
    expect(assertLoadTarget(url, { allowStaging: true }).host).toBe('staging.example.com');
  });

  it('refuses before any connection is made, and rejects non-URLs and non-HTTP schemes clearly', () => {
    expect(() => createHttpLoadClient({ baseUrl: 'http://localhost:8080' })).toThrow(/refusing to send load to localhost:8080/);
    expect(() => assertLoadTarget('127.0.0.1:8080')).toThrow(/must be http: or https:|is not a URL/);
    expect(() => assertLoadTarget('not a url')).toThrow(/is not a URL/);
    expect(() => assertLoadTarget('ftp://127.0.0.1/')).toThrow(/must be http: or https:/);
  });
});
