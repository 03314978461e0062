/** The Postgres HA topology: Patroni members, an etcd quorum, HAProxy, fault verbs, probes and pgBackRest helpers. */
export { startPostgresCluster, type Endpoint, type MemberRole, type PostgresCluster, type PostgresClusterOptions } from './cluster.ts';
export { PostgresMember } from './member.ts';
export { measureWriteOutage, describeOutage, type OutageMeasurement } from './outage.ts';
export { SplitBrainWatcher, type SplitBrainReport } from './split-brain.ts';
export { NumberedWriter, longestAckGapSeconds, lostAcknowledgedWrites, type WriterReport } from './writer.ts';
export { ReplicationSampler, sustainedWriteLoad, percentile } from './replication-probe.ts';
export { createRepo, deleteRepo, pgbackrest, startArchivingPostgres, startRestoredPostgres, type Repo } from './pgbackrest.ts';
export { timingProfile, timingProfiles, type TimingName, type TimingProfile } from './timing.ts';
