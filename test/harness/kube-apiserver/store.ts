import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { notFound, StatusError } from './errors';
import { PodFileSystem } from './pod-files';
import type { KubeObject, ResourceType } from './resources';
import { groupVersion, RESOURCE_TYPES } from './resources';

/** One watch event as the apiserver streams it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  resourceVersion: number;
  resource: ResourceType;
}

/** Filters for list and watch. */
export interface ListFilter {
  namespace?: string;
  matches?: (object: KubeObject) => boolean;
}

// Like etcd's compaction: a watch may resume from any of the last events, older ones answer 410 Gone.
const HISTORY_LIMIT = 1000;

function keyOf(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${type.group}/${type.resource}/${type.namespaced ? (namespace ?? '') : ''}/${name}`;
}

function findType(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((candidate) => candidate.kind === kind || candidate.resource === kind);
  if (!type) throw new Error(`the harness does not serve kind ${kind}`);
  return type;
}

/**
 * The apiserver's storage: objects by (resource, namespace, name), one global resourceVersion counter,
 * a bounded event history for watch resumption, and pod logs. Tests use it to seed and inspect state.
 */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: WatchEvent[] = [];
  private readonly events = new EventEmitter();
  private readonly podLogs = new Map<string, string[]>();
  private readonly podFileSystems = new Map<string, PodFileSystem>();
  private readonly logEvents = new EventEmitter();
  private revision = 1;
  private nextClusterIp = 10;

  constructor() {
    this.events.setMaxListeners(0);
    this.logEvents.setMaxListeners(0);
    for (const name of ['default', 'kube-system', 'kube-public']) {
      this.create(findType('Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }

  /** The current resourceVersion (the last write's). */
  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may still resume from. */
  get oldestResumableVersion(): number {
    return this.history[0] ? this.history[0].resourceVersion - 1 : this.revision;
  }

  /** Lists objects of a type, optionally in one namespace and matching a predicate, sorted by namespace/name. */
  list(type: ResourceType, filter: ListFilter = {}): KubeObject[] {
    const prefix = `${type.group}/${type.resource}/`;
    const items: KubeObject[] = [];
    for (const [key, object] of this.objects) {
      if (!key.startsWith(prefix)) continue;
      if (type.namespaced && filter.namespace && object.metadata.namespace !== filter.namespace) continue;
      if (filter.matches && !filter.matches(object)) continue;
      items.push(structuredClone(object));
    }
    return items.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`,
      ),
    );
  }

  /** Reads one object or throws 404. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.objects.get(keyOf(type, namespace, name));
    if (!object) throw notFound(type.resource, name, type.group);
    return structuredClone(object);
  }

  /** Creates an object (409 AlreadyExists if present; 404 if its namespace does not exist). */
  create(type: ResourceType, namespace: string | undefined, input: KubeObject): KubeObject {
    const object = structuredClone(input);
    object.apiVersion = groupVersion(type);
    object.kind = type.kind;
    object.metadata = object.metadata ?? {};
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = object.metadata.generateName + randomUUID().slice(0, 5);
    }
    const name = object.metadata.name;
    if (!name)
      throw new StatusError(
        422,
        'Invalid',
        `${type.kind} is invalid: metadata.name: Required value: name or generateName is required`,
      );
    if (type.namespaced) {
      if (!namespace) throw new StatusError(400, 'BadRequest', `${type.kind} ${name}: a namespace is required`);
      if (object.metadata.namespace && object.metadata.namespace !== namespace) {
        throw new StatusError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (!this.objects.has(keyOf(findType('Namespace'), undefined, namespace)))
        throw notFound('namespaces', namespace);
      object.metadata.namespace = namespace;
    } else {
      delete object.metadata.namespace;
    }
    const key = keyOf(type, namespace, name);
    if (this.objects.has(key)) {
      throw new StatusError(
        409,
        'AlreadyExists',
        `${type.group ? `${type.resource}.${type.group}` : type.resource} "${name}" already exists`,
        {
          name,
          group: type.group,
          kind: type.resource,
        },
      );
    }
    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = new Date(Math.floor(Date.now() / 1000) * 1000)
      .toISOString()
      .replace('.000Z', 'Z');
    object.metadata.generation = 1;
    this.simulateControllers(type, object, undefined);
    const created = this.commit(type, key, object, 'ADDED');
    if (type.kind === 'Pod') {
      this.recordEvent(
        created,
        'Scheduled',
        `Successfully assigned ${namespace ?? ''}/${name} to harness-node`,
        'default-scheduler',
      );
      this.recordEvent(created, 'Started', 'Started container', 'kubelet');
    } else if (type.kind === 'Deployment') {
      this.recordEvent(
        created,
        'ScalingReplicaSet',
        `Scaled up replica set ${name} to ${String((created.spec as { replicas?: number }).replicas ?? 1)}`,
        'deployment-controller',
      );
    }
    return created;
  }

  /** Replaces an object; a stale `metadata.resourceVersion` is a 409 Conflict, as with optimistic concurrency. */
  update(type: ResourceType, namespace: string | undefined, name: string, input: KubeObject): KubeObject {
    const key = keyOf(type, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) throw notFound(type.resource, name, type.group);
    const object = structuredClone(input);
    object.metadata = object.metadata ?? {};
    if (object.metadata.name && object.metadata.name !== name) {
      throw new StatusError(
        400,
        'BadRequest',
        `the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${type.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        {
          name,
          group: type.group,
          kind: type.resource,
        },
      );
    }
    object.apiVersion = groupVersion(type);
    object.kind = type.kind;
    object.metadata.name = name;
    if (type.namespaced) object.metadata.namespace = namespace;
    object.metadata.uid = existing.metadata.uid;
    object.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    const specChanged = JSON.stringify(object.spec) !== JSON.stringify(existing.spec);
    object.metadata.generation = (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    this.simulateControllers(type, object, existing);
    if (JSON.stringify(stripVersion(object)) === JSON.stringify(stripVersion(existing)))
      return structuredClone(existing);
    return this.commit(type, key, object, 'MODIFIED');
  }

  /** Deletes an object and returns its last state; a deleted namespace takes its objects with it. */
  delete(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const key = keyOf(type, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) throw notFound(type.resource, name, type.group);
    if (type.kind === 'Namespace') {
      for (const child of RESOURCE_TYPES.filter((candidate) => candidate.namespaced)) {
        for (const object of this.list(child, { namespace: name }))
          this.delete(child, name, object.metadata.name ?? '');
      }
    }
    this.objects.delete(key);
    this.podLogs.delete(key);
    this.podFileSystems.delete(key);
    this.revision += 1;
    const deleted = structuredClone(existing);
    deleted.metadata.resourceVersion = String(this.revision);
    this.record({ type: 'DELETED', object: deleted, resourceVersion: this.revision, resource: type });
    return structuredClone(deleted);
  }

  /** Subscribes to events after `afterVersion` (replayed from history, then live); returns the unsubscribe. */
  watch(type: ResourceType, afterVersion: number, listener: (event: WatchEvent) => void): () => void {
    if (afterVersion < this.oldestResumableVersion) {
      throw new StatusError(
        410,
        'Expired',
        `too old resource version: ${afterVersion} (${this.oldestResumableVersion})`,
      );
    }
    for (const event of this.history) {
      if (event.resourceVersion > afterVersion && event.resource === type) listener(event);
    }
    const live = (event: WatchEvent) => {
      if (event.resource === type) listener(event);
    };
    this.events.on('event', live);
    return () => this.events.off('event', live);
  }

  /** Appends a line to a pod container's log (what the container "prints"); followers see it at once. */
  appendPodLog(namespace: string, podName: string, line: string): void {
    const key = keyOf(findType('Pod'), namespace, podName);
    if (!this.objects.has(key)) throw notFound('pods', podName);
    const lines = this.podLogs.get(key) ?? [];
    lines.push(line);
    this.podLogs.set(key, lines);
    this.logEvents.emit(key, line);
  }

  /** The log lines so far and a subscription to new ones; the listener gets `undefined` if the pod is deleted. */
  podLog(
    namespace: string,
    podName: string,
    listener?: (line: string | undefined) => void,
  ): { lines: string[]; unsubscribe: () => void } {
    const type = findType('Pod');
    const key = keyOf(type, namespace, podName);
    if (!this.objects.has(key)) throw notFound('pods', podName);
    const lines = [...(this.podLogs.get(key) ?? [])];
    if (!listener) return { lines, unsubscribe: () => undefined };
    const onLine = (line: string) => listener(line);
    const onDelete = (event: WatchEvent) => {
      if (
        event.type === 'DELETED' &&
        event.resource === type &&
        keyOf(type, event.object.metadata.namespace, event.object.metadata.name ?? '') === key
      )
        listener(undefined);
    };
    this.logEvents.on(key, onLine);
    this.events.on('event', onDelete);
    return {
      lines,
      unsubscribe: () => {
        this.logEvents.off(key, onLine);
        this.events.off('event', onDelete);
      },
    };
  }

  /** A pod's container files (what exec'd `cat`, `tar` and `kubectl cp` see); 404 if the pod does not exist. */
  podFiles(namespace: string, podName: string): PodFileSystem {
    const key = keyOf(findType('Pod'), namespace, podName);
    if (!this.objects.has(key)) throw notFound('pods', podName);
    let files = this.podFileSystems.get(key);
    if (!files) {
      files = new PodFileSystem();
      this.podFileSystems.set(key, files);
    }
    return files;
  }

  /** Convenience for tests: create or replace an object from a manifest. */
  put(object: KubeObject): KubeObject {
    const type = findType(object.kind);
    const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    const name = object.metadata.name ?? '';
    if (this.objects.has(keyOf(type, namespace, name))) {
      const current = this.get(type, namespace, name);
      return this.update(type, namespace, name, {
        ...object,
        metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion },
      });
    }
    return this.create(type, namespace, object);
  }

  /** Convenience for tests: read an object by kind, or undefined. */
  find(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = findType(kind);
    const object = this.objects.get(keyOf(type, type.namespaced ? (namespace ?? 'default') : undefined, name));
    return object ? structuredClone(object) : undefined;
  }

  /** Convenience for tests: delete by kind. */
  remove(kind: string, namespace: string | undefined, name: string): KubeObject {
    const type = findType(kind);
    return this.delete(type, type.namespaced ? (namespace ?? 'default') : undefined, name);
  }

  // What controllers report about an object (kubectl describe shows these under Events).
  private recordEvent(subject: KubeObject, reason: string, message: string, component: string): void {
    const namespace = subject.metadata.namespace ?? 'default';
    const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    this.create(findType('Event'), namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${subject.metadata.name ?? ''}.${randomUUID().slice(0, 8)}`, namespace },
      involvedObject: {
        apiVersion: subject.apiVersion,
        kind: subject.kind,
        name: subject.metadata.name,
        namespace,
        uid: subject.metadata.uid,
        resourceVersion: subject.metadata.resourceVersion,
      },
      reason,
      message,
      type: 'Normal',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component },
      reportingComponent: component,
    });
  }

  private commit(type: ResourceType, key: string, object: KubeObject, eventType: 'ADDED' | 'MODIFIED'): KubeObject {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    this.objects.set(key, object);
    this.record({ type: eventType, object: structuredClone(object), resourceVersion: this.revision, resource: type });
    return structuredClone(object);
  }

  private record(event: WatchEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    this.events.emit('event', event);
  }

  // What the kubelet, the deployment controller and the service IP allocator would do, done at once so
  // `kubectl get` shows settled objects: pods run, deployments are available, services get a cluster IP.
  private simulateControllers(type: ResourceType, object: KubeObject, existing: KubeObject | undefined): void {
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    if (type.kind === 'Namespace') {
      object.spec = { finalizers: ['kubernetes'], ...spec };
      object.status = { phase: 'Active' };
    } else if (type.kind === 'Pod') {
      const containers = Array.isArray(spec.containers) ? (spec.containers as Record<string, unknown>[]) : [];
      object.spec = { nodeName: 'harness-node', restartPolicy: 'Always', ...spec };
      object.status = existing?.status ?? {
        phase: 'Running',
        podIP: '10.244.0.' + String(10 + (this.revision % 200)),
        hostIP: '10.0.0.1',
        startTime: object.metadata.creationTimestamp,
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: containers.map((container) => ({
          name: container.name,
          image: container.image,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: object.metadata.creationTimestamp } },
        })),
      };
    } else if (type.kind === 'Deployment') {
      const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
      object.spec = { replicas, ...spec };
      object.status = {
        observedGeneration: object.metadata.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
      };
    } else if (type.kind === 'Service') {
      const existingIp = ((existing?.spec ?? {}) as Record<string, unknown>).clusterIP;
      const clusterIP = spec.clusterIP ?? existingIp ?? `10.96.0.${this.nextClusterIp++}`;
      object.spec = { type: 'ClusterIP', ...spec, clusterIP, clusterIPs: [clusterIP] };
      object.status = { loadBalancer: {} };
    } else if (type.kind === 'Secret') {
      object.type = object.type ?? 'Opaque';
      if (object.stringData && typeof object.stringData === 'object') {
        const data = { ...((object.data ?? {}) as Record<string, string>) };
        for (const [field, value] of Object.entries(object.stringData as Record<string, string>)) {
          data[field] = Buffer.from(String(value)).toString('base64');
        }
        object.data = data;
        delete object.stringData;
      }
    }
  }
}

function stripVersion(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  delete copy.metadata.resourceVersion;
  return copy;
}
