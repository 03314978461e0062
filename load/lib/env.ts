import { parseApiKeys, type ApiKey } from '../../src/load/traffic-mix.ts';

/**
 * Everything a script takes from the environment (`k6 run -e NAME=value` or the process env).
 * BASE_URL and the keys come from the CI secrets for staging; nothing is defaulted to a remote host.
 */
export const STAGING_OPT_IN = 'REFSTACK_STAGING_LOAD';

export function baseUrl(): string {
  const raw = __ENV.BASE_URL;
  if (!raw) throw new Error('BASE_URL is not set: run with -e BASE_URL=http://127.0.0.1:8080 (local) or the staging URL');
  const match = /^(https?):\/\/([^/:]+|\[[^\]]+\])(:\d+)?(\/.*)?$/.exec(raw);
  if (!match) throw new Error(`BASE_URL "${raw}" must be an http(s) URL`);
  const host = match[2]!;
  const loopback = host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  // Same rule as src/load/http.ts: load goes to loopback unless staging is explicitly opted into.
  if (!loopback && __ENV[STAGING_OPT_IN] !== '1') {
    throw new Error(`refusing to load ${host}: only 127.0.0.1 unless ${STAGING_OPT_IN}=1 is set (the staging workflow sets it)`);
  }
  return raw.replace(/\/+$/, '');
}

export function apiKeys(): ApiKey[] {
  return parseApiKeys(__ENV.API_KEYS || __ENV.API_KEY);
}

/** A positive number from the environment, or the fallback. */
export function numberEnv(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function durationEnv(name: string, fallbackSeconds: number): string {
  return `${Math.round(numberEnv(name, fallbackSeconds))}s`;
}
