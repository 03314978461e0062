import { docker } from '../../core/docker/engine.ts';
import { attachPostgresCluster, type PostgresCluster } from '../../topologies/postgres/cluster.ts';
import { HOST, PostgresMember, type MemberContainer } from '../../topologies/postgres/member.ts';
import { ENV_SECRETS, PG_MEMBERS } from '../config-files.ts';
import { execIn } from '../exec.ts';
import { ENV_PORTS } from '../ports.ts';
import { ENV_NETWORK, PROFILE_LABEL, containerName, type EnvProfile } from '../service.ts';

/**
 * The environment's Patroni cluster behind the topology's PostgresCluster handle, so that the drills
 * run the suites' own measurement (measureWriteOutage, SplitBrainWatcher, NumberedWriter) against
 * the long-lived containers of `refstack up`. Its teardown removes nothing: `refstack down` does.
 */
export async function attachEnvCluster(): Promise<PostgresCluster> {
  const infos = await Promise.all(PG_MEMBERS.map((m) => docker().getContainer(containerName(m)).inspect().catch(() => undefined)));
  const missing = PG_MEMBERS.filter((_, i) => !infos[i]);
  if (missing.length) throw new Error(`the environment is not up (no ${missing.map(containerName).join(', ')}): run \`refstack up\` first`);
  const profile = (infos[0]!.Config.Labels?.[PROFILE_LABEL] ?? 'production') as EnvProfile;
  return attachPostgresCluster({
    options: { members: 3, synchronous: true, timing: profile },
    members: PG_MEMBERS.map((name, i) => new PostgresMember(name, existingContainer(infos[i]!.Id), ENV_SECRETS.superuser)),
    password: ENV_SECRETS.superuser,
    network: ENV_NETWORK,
    write: { host: HOST, port: ENV_PORTS.postgresWrite },
    read: { host: HOST, port: ENV_PORTS.postgresRead },
  });
}

/** A container that testcontainers did not start, reached through the Docker API. */
function existingContainer(id: string): MemberContainer {
  return { getId: () => id, exec: (command, options) => execIn(id, command, options.user) };
}
