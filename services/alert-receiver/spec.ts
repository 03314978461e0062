import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';

const PORT = 9095;

/** The page, ticket and chat webhooks Alertmanager posts to; GET / lists the last notifications (receiver.py). */
export const alertReceiver: ServiceSpec = {
  name: 'alert-receiver',
  summary: "the alert receiver: Alertmanager's page / ticket / chat webhooks; GET / lists what arrived",
  image: { build: 'alert-receiver' },
  replicas: 1,
  dependsOn: [],
  ports: [{ name: 'http', container: PORT, publish: { env: [19095] }, http: '/' }],
  health: { command: tcpProbe(PORT) },
};
