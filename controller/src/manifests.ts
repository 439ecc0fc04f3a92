import { stringify } from 'yaml';

/** Everything a kubeconfig for one remote account needs. */
export interface KubeconfigInput {
  agentName: string;
  serviceName: string;
  serverUrl: string;
  caPem: string;
  user: { certPem: string; keyPem: string } | { token: string };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** Renders a kubeconfig that points kubectl at the controller's service endpoint for one agent service. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const name = `${input.agentName}-${input.serviceName}`;
  const user =
    'token' in input.user
      ? { token: input.user.token }
      : { 'client-certificate-data': b64(input.user.certPem), 'client-key-data': b64(input.user.keyPem) };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: input.serverUrl, 'certificate-authority-data': b64(input.caPem) } }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * What Spinnaker's Kubernetes provider deploys and reads, never the wildcard: the agent's token is cluster-admin of
 * the remote cluster otherwise (decision 204). The same list as `rbac.rules` in charts/isd-agent/values.yaml.
 */
export const AGENT_RBAC_RULES = [
  { apiGroups: [''], resources: ['namespaces', 'events', 'pods/log'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: [''],
    resources: [
      'pods',
      'services',
      'endpoints',
      'configmaps',
      'secrets',
      'serviceaccounts',
      'persistentvolumeclaims',
      'replicationcontrollers',
    ],
    verbs: ALL_VERBS,
  },
  {
    apiGroups: ['apps'],
    resources: [
      'deployments',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
      'daemonsets',
      'controllerrevisions',
    ],
    verbs: ALL_VERBS,
  },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ALL_VERBS },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ALL_VERBS },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: ALL_VERBS },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ALL_VERBS },
];

/** Inputs of a ready-to-apply agent manifest. */
export interface AgentManifestInput {
  agentName: string;
  namespace: string;
  image: string;
  controllerAddress: string;
  serverName: string;
  certPem: string;
  keyPem: string;
  caPem: string;
}

/**
 * Renders the agent's Secret, ServiceAccount, read-write RBAC, ConfigMap and Deployment as one
 * multi-document YAML. The agent reaches its own cluster through the in-cluster ServiceAccount.
 */
export function renderAgentManifest(input: AgentManifestInput): string {
  const name = `isd-agent-${input.agentName}`;
  const labels = { app: 'isd-agent', 'isd.io/agent': input.agentName };
  const agentConfig = stringify({
    controllers: [input.controllerAddress],
    serverName: input.serverName,
    credentials: {
      certFile: '/etc/isd-agent/tls/tls.crt',
      keyFile: '/etc/isd-agent/tls/tls.key',
      caFile: '/etc/isd-agent/tls/ca.crt',
    },
    healthPort: 9103,
    services: [{ name: 'kubernetes', type: 'kubernetes', inCluster: true }],
  });
  const documents = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: input.namespace } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-tls`, namespace: input.namespace, labels },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': input.certPem, 'tls.key': input.keyPem, 'ca.crt': input.caPem },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-config`, namespace: input.namespace, labels },
      data: { 'agent.yaml': agentConfig },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: input.namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: AGENT_RBAC_RULES,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: input.namespace }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: input.namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            containers: [
              {
                name: 'agent',
                image: input.image,
                args: ['--config', '/etc/isd-agent/agent.yaml'],
                ports: [{ name: 'metrics', containerPort: 9103 }],
                readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' } },
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                volumeMounts: [
                  { name: 'tls', mountPath: '/etc/isd-agent/tls', readOnly: true },
                  { name: 'config', mountPath: '/etc/isd-agent/agent.yaml', subPath: 'agent.yaml', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'tls', secret: { secretName: `${name}-tls` } },
              { name: 'config', configMap: { name: `${name}-config` } },
            ],
          },
        },
      },
    },
  ];
  return documents.map((document) => stringify(document)).join('---\n');
}
