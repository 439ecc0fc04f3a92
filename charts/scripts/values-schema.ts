// Builds both charts' values.schema.json. Each component's `config` schema is generated from that
// service's real zod config schema, minus the secret fields (they come from existing Secrets as
// environment variables, so a secret typed into values is refused). Everything else is strict
// (`additionalProperties: false`) so a misspelt key fails `helm lint/template/install`.
import { z } from 'zod';
import { autopilotConfigSchema } from '@isd/autopilot/config';
import { saporConfigSchema } from '@isd/sapor/config';
import { visibilityConfigSchema } from '@isd/visibility/config';
import { controllerConfigSchema } from '@isd/controller/config';
import { agentConfigSchema } from '@isd/agent/config';

type JsonSchema = Record<string, unknown>;

/** Field names that hold credentials in the services' config schemas; never accepted in values. */
export const secretFieldNames: readonly string[] = [
  'serviceToken',
  'gateToken',
  'token',
  'apiToken',
  'password',
  'bearerToken',
  'apiKey',
  'applicationKey',
  'botToken',
  'webhookUrl',
];

/** Removes secret fields (by name, or described as "(secret)") from a JSON schema, recursively. */
export function withoutSecrets(schema: unknown, extraPaths: readonly string[][] = []): JsonSchema {
  const copy = structuredClone(schema) as JsonSchema;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as JsonSchema;
    const properties = record.properties as Record<string, JsonSchema> | undefined;
    if (properties) {
      for (const [key, property] of Object.entries(properties)) {
        if (secretFieldNames.includes(key) || /\(secret\)/.test(String(property.description ?? ''))) {
          delete properties[key];
          if (Array.isArray(record.required))
            record.required = (record.required as string[]).filter((name) => name !== key);
        }
      }
      if (Array.isArray(record.required) && (record.required as string[]).length === 0) delete record.required;
    }
    for (const value of Object.values(record)) walk(value);
  };
  walk(copy);
  for (const path of extraPaths) {
    let node: JsonSchema | undefined = copy;
    for (const key of path.slice(0, -1)) node = (node?.properties as Record<string, JsonSchema> | undefined)?.[key];
    const last = path[path.length - 1] as string;
    if (node?.properties) delete (node.properties as Record<string, JsonSchema>)[last];
    if (node && Array.isArray(node.required))
      node.required = (node.required as string[]).filter((name) => name !== last);
  }
  return copy;
}

/** A zod config schema as the JSON schema of its YAML file (inputs: defaulted keys are optional). */
export function configJsonSchema(schema: z.ZodType, description: string, chartOwned: string[][] = []): JsonSchema {
  const generated = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  delete generated.$schema;
  // `auth` is required by the services but filled from the auth Secret; `database.url` comes from DATABASE_URL.
  const stripped = withoutSecrets(generated, [['database', 'url'], ...chartOwned]);
  if (Array.isArray(stripped.required)) {
    stripped.required = (stripped.required as string[]).filter((name) => name !== 'auth');
    if ((stripped.required as string[]).length === 0) delete stripped.required;
  }
  return { ...stripped, description };
}

const string = (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra });
const integer = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra });
const boolean = (): JsonSchema => ({ type: 'boolean' });
const strict = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(required.length ? { required } : {}),
});
/** Kubernetes structures passed through as they are (validated by the API server, and by kubernetes-models in tests). */
const kubernetesObject = (description: string): JsonSchema => ({ type: 'object', description });
const kubernetesList = (description: string): JsonSchema => ({ type: 'array', items: { type: 'object' }, description });
const labels = (description: string): JsonSchema => ({
  type: 'object',
  additionalProperties: { type: 'string' },
  description,
});
const secretName = (description: string): JsonSchema =>
  string({ description, pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$', maxLength: 253 });
const secretKey = (description: string): JsonSchema => string({ description, pattern: '^[-._a-zA-Z0-9]+$' });

const imageTag = string({ description: 'Image tag; never latest', not: { enum: ['latest'] } });
/** A size in binary units, as an emptyDir's sizeLimit takes it (a size is required: no limit is no protection). */
const sizeLimit = (description: string) => string({ description, pattern: '^[1-9][0-9]*(Ki|Mi|Gi)$' });

const podSettings = {
  resources: kubernetesObject('Container resources'),
  podAnnotations: labels('Extra pod annotations'),
  nodeSelector: labels('Node selector'),
  tolerations: kubernetesList('Tolerations'),
  affinity: kubernetesObject('Affinity'),
  topologySpreadConstraints: kubernetesList('Topology spread constraints'),
  terminationGracePeriodSeconds: integer({ minimum: 0 }),
  pdb: strict({ enabled: boolean(), maxUnavailable: { type: ['integer', 'string'] } }),
  extraEnv: kubernetesList('Extra EnvVar entries'),
};

function sidecarValues(schema: z.ZodType, service: string): JsonSchema {
  return strict({
    enabled: boolean(),
    replicas: integer({ minimum: 0 }),
    service: strict({
      port: integer({ minimum: 1, maximum: 65535 }),
      gatePort: integer({ minimum: 1, maximum: 65535 }),
    }),
    ...podSettings,
    extraVolumes: kubernetesList('Extra volumes'),
    extraVolumeMounts: kubernetesList('Extra volume mounts'),
    config: configJsonSchema(schema, `The ${service} config file`),
  });
}

const probe = strict({
  initialDelaySeconds: integer({ minimum: 0 }),
  periodSeconds: integer({ minimum: 1 }),
  timeoutSeconds: integer({ minimum: 1 }),
  failureThreshold: integer({ minimum: 1 }),
  successThreshold: integer({ minimum: 1 }),
});

/** values.schema.json of charts/isd. */
export function buildIsdValuesSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'isd chart values',
    ...strict({
      nameOverride: string(),
      fullnameOverride: string(),
      image: strict({
        registry: string(),
        repository: string({ minLength: 1 }),
        tag: imageTag,
        pullPolicy: string({ enum: ['Always', 'IfNotPresent', 'Never'] }),
      }),
      imagePullSecrets: { type: 'array', items: strict({ name: string({ minLength: 1 }) }, ['name']) },
      auth: strict({
        existingSecret: secretName('Secret with the service token and Gate credential'),
        serviceTokenKey: secretKey('Key of the service token'),
        gateTokenKey: string({ description: 'Key of the Gate credential; empty = none', pattern: '^[-._a-zA-Z0-9]*$' }),
      }),
      database: strict({
        existingSecret: secretName('Secret with the Postgres URL'),
        urlKey: secretKey('Key of the URL'),
      }),
      podSecurityContext: kubernetesObject('Pod security context'),
      containerSecurityContext: kubernetesObject('Container security context'),
      volumeSizeLimits: strict(
        {
          tmp: sizeLimit("Size limit of every pod's /tmp"),
          state: sizeLimit("Size limit of each sidecar's working state"),
        },
        ['tmp', 'state'],
      ),
      probes: strict({ startup: probe, liveness: probe, readiness: probe }),
      networkPolicy: strict({
        enabled: boolean(),
        orcaPodLabels: labels("Orca's pod labels"),
        gatePodLabels: labels("Gate's pod labels"),
        controllerCallerPodLabels: { type: 'array', items: labels('Pod labels of a controller caller') },
        spinnakerNamespaceSelector: labels("Labels of Spinnaker's namespace"),
        extraIngress: kubernetesList('NetworkPolicyIngressRule entries'),
        egress: strict({ enabled: boolean(), rules: kubernetesList('NetworkPolicyEgressRule entries') }),
      }),
      gateTls: strict({
        enabled: boolean(),
        clientNames: { type: 'array', items: string({ minLength: 1 }), minItems: 1 },
        existingSecret: secretName('Secret with tls.crt, tls.key and ca.crt for the Gate-only listeners'),
        gateNamespace: string({ pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 63 }),
        certManager: strict({
          enabled: boolean(),
          issuerRef: strict(
            { name: string({ minLength: 1 }), kind: string({ enum: ['Issuer', 'ClusterIssuer'] }), group: string() },
            ['name'],
          ),
          keystorePasswordSecret: strict({
            name: secretName("Secret with the password of Gate's key store"),
            key: secretKey('Key of the password'),
          }),
        }),
      }),
      spinnakerConfig: strict({ enabled: boolean(), orcaLocal: string(), gateLocal: string() }),
      visibility: sidecarValues(visibilityConfigSchema, 'visibility'),
      autopilot: sidecarValues(autopilotConfigSchema, 'autopilot'),
      sapor: sidecarValues(saporConfigSchema, 'sapor'),
      controller: strict({
        enabled: boolean(),
        replicas: integer({ minimum: 0 }),
        ca: strict({ existingSecret: secretName('kubernetes.io/tls Secret with the controller CA') }),
        tokenKeys: strict({
          existingSecret: secretName('Secret of token keys'),
          currentKeyId: string({ pattern: '^([a-z][a-z0-9]*)?$' }),
          // Lower-case words only: the id travels in an env name (ISD_CONTROLLER_TOKEN_KEYS__KEYS__<ID>) and back.
          keyIds: { type: 'array', items: string({ pattern: '^[a-z][a-z0-9]*$' }) },
        }),
        agentService: strict({
          type: string({ enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }),
          port: integer({ minimum: 1, maximum: 65535 }),
          annotations: labels('Service annotations'),
          loadBalancerSourceRanges: { type: 'array', items: string() },
        }),
        ...podSettings,
        sharedRevocations: boolean(),
        config: configJsonSchema(controllerConfigSchema, 'The controller config file', [
          ['caCertFile'],
          ['caKeyFile'],
          ['tokenKeys'],
        ]),
      }),
      postgresql: strict({
        enabled: boolean(),
        image: strict({
          repository: string({ minLength: 1 }),
          tag: imageTag,
          pullPolicy: string({ enum: ['Always', 'IfNotPresent', 'Never'] }),
        }),
        auth: strict({
          username: string({ pattern: '^[a-z_][a-z0-9_]*$' }),
          database: string({ pattern: '^[a-z_][a-z0-9_]*$' }),
          existingSecret: secretName('Secret with the Postgres password'),
          passwordKey: secretKey('Key of the password'),
        }),
        persistence: strict({ size: string({ pattern: '^[0-9]+(Mi|Gi|Ti)$' }), storageClass: string() }),
        podSecurityContext: kubernetesObject('Pod security context'),
        resources: kubernetesObject('Container resources'),
      }),
    }),
  };
}

/** values.schema.json of charts/isd-agent. */
export function buildAgentValuesSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'isd-agent chart values',
    ...strict({
      nameOverride: string(),
      fullnameOverride: string(),
      image: strict({
        registry: string(),
        repository: string({ minLength: 1 }),
        tag: imageTag,
        pullPolicy: string({ enum: ['Always', 'IfNotPresent', 'Never'] }),
      }),
      imagePullSecrets: { type: 'array', items: strict({ name: string({ minLength: 1 }) }, ['name']) },
      certificate: strict({
        existingSecret: secretName('Secret with tls.crt, tls.key and ca.crt from the controller'),
      }),
      serviceAccount: strict({ create: boolean(), name: string(), annotations: labels('ServiceAccount annotations') }),
      rbac: strict({
        create: boolean(),
        clusterWide: boolean(),
        rules: kubernetesList('PolicyRule entries granted to the agent (what Spinnaker may do in this cluster)'),
      }),
      podSecurityContext: kubernetesObject('Pod security context'),
      containerSecurityContext: kubernetesObject('Container security context'),
      volumeSizeLimits: strict(
        {
          tmp: sizeLimit("Size limit of the pod's /tmp"),
          renewed: sizeLimit("Size limit of the renewed certificates' directory"),
        },
        ['tmp', 'renewed'],
      ),
      probes: strict({ liveness: probe, readiness: probe }),
      ...podSettings,
      extraVolumes: kubernetesList('Extra volumes'),
      extraVolumeMounts: kubernetesList('Extra volume mounts'),
      networkPolicy: strict({
        enabled: boolean(),
        extraIngress: kubernetesList('NetworkPolicyIngressRule entries'),
        egress: strict({ enabled: boolean(), rules: kubernetesList('NetworkPolicyEgressRule entries') }),
      }),
      config: configJsonSchema(agentConfigSchema, 'The agent config file', [
        ['credentials'],
        ['renewedCredentialsDir'],
      ]),
    }),
  };
}
