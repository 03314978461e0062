import type { ProfileName } from '../core/profiles.ts';
import { CORE_SERVICES } from '../stack/definition.ts';

/**
 * The environment the experiments run on: the whole stack with the test profile (alert detection in
 * seconds, not minutes: production's promise for a high alert is over 8 minutes), the API's database and
 * broker routes through Toxiproxy, the API's fault switch on, Postgres under libfaketime (offset +0 until
 * the clock-skew fault) and its data on 768 MiB in-memory volumes (a disk that can be filled without
 * filling the host's).
 */
export const CHAOS_STACK: { profile: ProfileName; services: readonly string[]; options: Readonly<Record<string, string>> } = {
  profile: 'test',
  services: CORE_SERVICES,
  options: {
    'toxiproxy.routes': 'postgres-write,postgres-read,rabbitmq',
    'sample-app.faults': 'on',
    'postgres.faketime': 'on',
    'postgres.data-mib': '768',
  },
};

/** The same environment as a `refstack up` command line. */
export function chaosUpCommand(project: string): string {
  const sets = Object.entries(CHAOS_STACK.options).map(([k, v]) => `--set ${k}=${v}`);
  return `refstack up --project ${project} --profile ${CHAOS_STACK.profile} ${sets.join(' ')}`;
}
