// Kubernetes API server contract harness: the peer kubectl and Clouddriver talk to, written from
// Kubernetes' documented behaviour, for tests that cannot run a real apiserver.
export { startKubeApiServer } from './server';
export type { KubeApiServer, KubeApiServerOptions, RecordedRequest } from './server';
export { ObjectStore } from './store';
export type { WatchEvent } from './store';
export type { KubeObject, ObjectMeta } from './resources';
export { renderKubeconfig, writeKubeconfig } from './kubeconfig';
export type { KubeconfigOptions } from './kubeconfig';
export { createKubectlSession, kubectlMinorVersion, runKubectl, spawnKubectl, KUBECTL_BINARY } from './kubectl';
export type { KubectlOptions, KubectlProcess, KubectlResult, KubectlSession } from './kubectl';
export type { PodPortResolver } from './streaming';
export { StatusError } from './errors';
