/** A Kubernetes object as stored and served (JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** The `metadata` fields the harness reads or maintains. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** One kind the harness serves: where it lives in the API and how `kubectl get` prints it. */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural resource name used in URLs. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  subresources: string[];
  columns: TableColumn[];
  /** Table cells for one object, in `columns` order. */
  cells(object: KubeObject, nowMs: number): unknown[];
}

/** A `metav1.TableColumnDefinition`. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function column(name: string, type = 'string', format = '', priority = 0): TableColumn {
  return { name, type, format, description: name, priority };
}

/** Kubernetes' short age format ("45s", "3m2s", "5h", "2d"), as kubectl prints the AGE column. */
export function formatAge(createdIso: string | undefined, nowMs: number): string {
  if (!createdIso) return '<unknown>';
  const seconds = Math.max(0, Math.floor((nowMs - Date.parse(createdIso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

const age = column('Age');
const nameColumn = column('Name', 'string', 'name');

/** The kinds the harness serves. */
export const RESOURCE_TYPES: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    columns: [nameColumn, column('Status'), age],
    cells: (object, nowMs) => [
      object.metadata.name,
      record(object.status).phase ?? 'Active',
      formatAge(object.metadata.creationTimestamp, nowMs),
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    listKind: 'PodList',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['log', 'exec', 'attach', 'portforward', 'status'],
    columns: [nameColumn, column('Ready'), column('Status'), column('Restarts', 'string'), age],
    cells: (object, nowMs) => {
      const containers = array(record(object.spec).containers);
      const status = record(object.status);
      const ready = array(status.containerStatuses).filter((entry) => record(entry).ready === true).length;
      return [
        object.metadata.name,
        `${ready}/${containers.length}`,
        status.phase ?? 'Pending',
        '0',
        formatAge(object.metadata.creationTimestamp, nowMs),
      ];
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    listKind: 'ConfigMapList',
    namespaced: true,
    shortNames: ['cm'],
    subresources: [],
    columns: [nameColumn, column('Data', 'integer'), age],
    cells: (object, nowMs) => [
      object.metadata.name,
      Object.keys(record(object.data)).length + Object.keys(record(object.binaryData)).length,
      formatAge(object.metadata.creationTimestamp, nowMs),
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    listKind: 'SecretList',
    namespaced: true,
    shortNames: [],
    subresources: [],
    columns: [nameColumn, column('Type'), column('Data', 'integer'), age],
    cells: (object, nowMs) => [
      object.metadata.name,
      object.type ?? 'Opaque',
      Object.keys(record(object.data)).length,
      formatAge(object.metadata.creationTimestamp, nowMs),
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    listKind: 'ServiceList',
    namespaced: true,
    shortNames: ['svc'],
    subresources: ['status'],
    columns: [nameColumn, column('Type'), column('Cluster-IP'), column('External-IP'), column('Port(s)'), age],
    cells: (object, nowMs) => {
      const spec = record(object.spec);
      const ports = array(spec.ports)
        .map((entry) => `${String(record(entry).port)}/${String(record(entry).protocol ?? 'TCP')}`)
        .join(',');
      return [
        object.metadata.name,
        spec.type ?? 'ClusterIP',
        spec.clusterIP ?? '<none>',
        '<none>',
        ports || '<none>',
        formatAge(object.metadata.creationTimestamp, nowMs),
      ];
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    listKind: 'EventList',
    namespaced: true,
    shortNames: ['ev'],
    subresources: [],
    columns: [column('Last Seen'), column('Type'), column('Reason'), column('Object'), column('Message')],
    cells: (object, nowMs) => {
      const involved = record(object.involvedObject);
      return [
        formatAge(String(object.lastTimestamp ?? object.metadata.creationTimestamp ?? ''), nowMs),
        object.type ?? 'Normal',
        object.reason ?? '',
        `${String(involved.kind ?? '').toLowerCase()}/${String(involved.name ?? '')}`,
        object.message ?? '',
      ];
    },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    namespaced: true,
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    columns: [nameColumn, column('Ready'), column('Up-to-date', 'integer'), column('Available', 'integer'), age],
    cells: (object, nowMs) => {
      const status = record(object.status);
      const desired = Number(record(object.spec).replicas ?? 1);
      return [
        object.metadata.name,
        `${Number(status.readyReplicas ?? 0)}/${desired}`,
        Number(status.updatedReplicas ?? 0),
        Number(status.availableReplicas ?? 0),
        formatAge(object.metadata.creationTimestamp, nowMs),
      ];
    },
  },
];

/** `apiVersion` string for a type ("v1" or "apps/v1"). */
export function groupVersion(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** Finds a served type by group, version and plural resource name. */
export function findResourceType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.group === group && type.version === version && type.resource === resource);
}

/** The `APIResourceList` discovery document for one group version, including subresources. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter((type) => type.group === group && type.version === version);
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const type of types) {
    resources.push({
      name: type.resource,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: VERBS,
      shortNames: type.shortNames.length > 0 ? type.shortNames : undefined,
      categories: type.kind === 'Namespace' || type.kind === 'Secret' ? undefined : ['all'],
    });
    for (const subresource of type.subresources) {
      const kind =
        subresource === 'exec' || subresource === 'attach'
          ? 'PodExecOptions'
          : subresource === 'portforward'
            ? 'PodPortForwardOptions'
            : subresource === 'log'
              ? 'Pod'
              : subresource === 'scale'
                ? 'Scale'
                : type.kind;
      const verbs =
        subresource === 'log'
          ? ['get']
          : subresource === 'status' || subresource === 'scale'
            ? ['get', 'patch', 'update']
            : ['create', 'get'];
      resources.push({
        name: `${type.resource}/${subresource}`,
        singularName: '',
        namespaced: type.namespaced,
        kind,
        verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

/** Media type of aggregated discovery (KEP-3352), which kubectl ≥ 1.26 asks for first on /api and /apis. */
export const AGGREGATED_DISCOVERY_MEDIA_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function subresourceKind(type: ResourceType, subresource: string): string {
  if (subresource === 'exec' || subresource === 'attach') return 'PodExecOptions';
  if (subresource === 'portforward') return 'PodPortForwardOptions';
  if (subresource === 'scale') return 'Scale';
  return type.kind;
}

/**
 * The `APIGroupDiscoveryList` for the legacy core group (`/api`, `core = true`) or the named groups
 * (`/apis`): every group version with its resources, scopes, verbs and subresources in one document.
 */
export function aggregatedDiscovery(core: boolean): Record<string, unknown> {
  const groups = [...new Set(RESOURCE_TYPES.filter((type) => (type.group === '') === core).map((type) => type.group))];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group },
      versions: [
        {
          version: 'v1',
          freshness: 'Current',
          resources: RESOURCE_TYPES.filter((type) => type.group === group).map((type) => ({
            resource: type.resource,
            responseKind: { group, version: type.version, kind: type.kind },
            scope: type.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: type.singular,
            verbs: VERBS,
            ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
            ...(type.kind === 'Namespace' || type.kind === 'Secret' ? {} : { categories: ['all'] }),
            subresources: type.subresources.map((subresource) => ({
              subresource,
              responseKind: {
                group: subresource === 'scale' ? 'autoscaling' : group,
                version: 'v1',
                kind: subresourceKind(type, subresource),
              },
              verbs:
                subresource === 'log'
                  ? ['get']
                  : subresource === 'status' || subresource === 'scale'
                    ? ['get', 'patch', 'update']
                    : ['create', 'get'],
            })),
          })),
        },
      ],
    })),
  };
}
