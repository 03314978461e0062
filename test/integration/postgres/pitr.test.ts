import { pitrAcrossFailover, repositoryHostLoss } from '../../../src/scenarios/backup.ts';
import { clusterRestore } from '../../../src/scenarios/disaster-recovery.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useSharedStack } from '../../../src/testing/stack.ts';

/**
 * Backups of the HA cluster, on the run's shared stack (what `refstack up` runs, test profile): archiving
 * follows the primary across a switchover, a backup runs from the new standby, and point-in-time restores
 * on both sides of the switchover hold exact rows; losing the repository host under writes fails no write,
 * fires WalArchiveFailing and loses no segment; and the disaster: every member and its disk lost, the cluster
 * rebuilt from the repository through Patroni's bootstrap, the API serving again (last: the later users of the
 * shared stack get the restored cluster, which holds all they need). The same scenarios are `refstack drill
 * pitr-across-failover repository-host-loss cluster-restore`.
 */
describeWithDocker('postgres backups and point-in-time recovery across a failover, on the one stack', () => {
  const stack = useSharedStack();
  itScenario(pitrAcrossFailover, stack, 600_000);
  itScenario(repositoryHostLoss, stack, 600_000);
  itScenario(clusterRestore, stack, 900_000);
});
