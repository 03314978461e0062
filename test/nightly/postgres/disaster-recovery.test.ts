import { clusterRestore } from '../../../src/scenarios/disaster-recovery.ts';
import { PGBACKREST } from '../../../services/pgbackrest/config.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useStack } from '../../../src/testing/stack.ts';

/**
 * The disaster-recovery drill (nightly: it rebuilds the whole cluster, ~2 min beyond a stack start, which
 * `npm test`'s 30-minute budget has no room for; its representative there is the point-in-time recovery of
 * test/integration/postgres/pitr.test.ts): every member and its disk lost, the cluster bootstrapped from the
 * pgBackRest repository. The same scenario is `refstack drill cluster-restore`.
 */
describeWithDocker('postgres disaster recovery, nightly: the whole cluster restored from the backup repository (test profile)', () => {
  const stack = useStack({ services: [PGBACKREST, 'haproxy'] });
  itScenario(clusterRestore, stack, 900_000);
});
