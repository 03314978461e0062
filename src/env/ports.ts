/**
 * The environment's fixed host ports, all bound to 127.0.0.1. They sit below Linux's ephemeral range
 * (32768+), where Docker picks the random ports of the test topologies, so the two never collide.
 * README.md's endpoint table and compose/compose.yaml are built from these.
 */
export const ENV_PORTS = {
  /** nginx, the web tier in front of the API instances. */
  api: 18080,
  /** HAProxy: writes to the Patroni leader, reads round-robin over the replicas, stats page. */
  postgresWrite: 15432,
  postgresRead: 15433,
  haproxyStats: 17000,
  /** Each Patroni member's Postgres and REST API, for diagnosis and the drills' direct probes. */
  memberPostgres: [15441, 15442, 15443],
  memberPatroni: [18001, 18002, 18003],
  redis: [16379, 16380],
  sentinel: 16381,
  amqp: 15672,
  rabbitmqMetrics: 15692,
  prometheus: 19090,
  alertmanager: 19093,
  /** Where Alertmanager's page/ticket/chat receivers post; GET / lists the last notifications. */
  alertReceiver: 19095,
  grafana: 13000,
  elasticsearch: 19200,
} as const;
