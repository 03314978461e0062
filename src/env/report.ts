import { endpointTable, statusTable, type UpResult } from './environment.ts';
import { ENV_PROFILES, DEFAULT_PROFILE, type EnvProfile } from './service.ts';

export function parseProfile(value: string | undefined, error: (message: string) => Error = (m) => new Error(m)): EnvProfile {
  if (value === undefined) return DEFAULT_PROFILE;
  if ((ENV_PROFILES as string[]).includes(value)) return value as EnvProfile;
  throw error(`--profile must be one of ${ENV_PROFILES.join(', ')}, got "${value}"`);
}

/** What `refstack up` prints: every service's state, what could not run here, and the endpoints. */
export function formatUp(result: UpResult): string {
  const headline = result.started.length
    ? `environment up in ${result.seconds} s (${result.started.length} services started)`
    : 'environment already up: nothing started';
  const unavailable = result.unavailable.length
    ? `\nunavailable here (not started):\n${result.unavailable.map((u) => `  ${u.service}: ${u.reason}`).join('\n')}\n`
    : '';
  return `\n${headline}\n\n${statusTable(result.statuses)}\n${unavailable}\nendpoints (127.0.0.1 only):\n${endpointTable(undefined, result.unavailable)}\n`;
}
