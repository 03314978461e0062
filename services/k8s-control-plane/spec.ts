import type { ServiceSpec } from '../../src/core/spec.ts';

export const APISERVER_PORT = 6443;

/**
 * A Kubernetes control plane in one container (etcd 3.7, kube-apiserver, controller-manager, scheduler,
 * kwok fake nodes), built offline from the Go module proxy: the Kubernetes layer's test bed where no
 * node image can be pulled. Not part of the architecture's stack; `refstack k8s up` and the k8s suites
 * start it. The admin kubeconfig is /etc/kubernetes/admin.kubeconfig inside the container.
 */
export const k8sControlPlane: ServiceSpec = {
  name: 'k8s-control-plane',
  summary: 'Kubernetes v1.37 control plane with kwok fake nodes (no kubelet, no containers run): the chart is proven against it',
  image: { build: 'k8s-control-plane' },
  replicas: 1,
  dependsOn: [],
  env: () => ({ KWOK_NODES: '3' }),
  ports: [{ name: 'https', container: APISERVER_PORT, publish: {} }],
  health: { command: 'kubectl --kubeconfig /etc/kubernetes/admin.kubeconfig get --raw=/readyz', startPeriodSeconds: 180 },
  volumes: [{ name: 'etcd', target: '/var/lib/etcd' }],
};
