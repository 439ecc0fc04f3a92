import { badRequest, invalid } from './errors';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge, `null` deletes, arrays replace. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value) as Json;
  }
  return result;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`json patch path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: Json, tokens: string[], path: string): { parent: Json; key: string } {
  let parent: Json = document;
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(parent)
      ? parent[Number(token)]
      : isObject(parent)
        ? parent[token]
        : undefined;
    if (next === undefined) throw invalid(`json patch path "${path}": "${token}" does not exist`, path);
    parent = next;
  }
  const key = tokens[tokens.length - 1];
  if (key === undefined) throw invalid(`json patch path "${path}" cannot address the whole document`, path);
  return { parent, key };
}

function readPointer(document: Json, path: string): Json {
  let current: Json | undefined = document;
  for (const token of decodePointer(path)) {
    current = Array.isArray(current) ? current[Number(token)] : isObject(current) ? current[token] : undefined;
    if (current === undefined) throw invalid(`json patch path "${path}" does not exist`, path);
  }
  return current;
}

function addAt(document: Json, path: string, value: Json, replace: boolean): void {
  const { parent, key } = parentOf(document, decodePointer(path), path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length || (replace && index >= parent.length)) {
      throw invalid(`json patch path "${path}": index out of range`, path);
    }
    parent.splice(index, replace ? 1 : 0, value);
  } else if (isObject(parent)) {
    if (replace && !(key in parent)) throw invalid(`json patch replace: "${path}" does not exist`, path);
    parent[key] = value;
  } else {
    throw invalid(`json patch path "${path}": parent is not a container`, path);
  }
}

function removeAt(document: Json, path: string): Json {
  const { parent, key } = parentOf(document, decodePointer(path), path);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw invalid(`json patch remove: "${path}" index out of range`, path);
    }
    return parent.splice(index, 1)[0] as Json;
  }
  if (isObject(parent) && key in parent) {
    const removed = parent[key] as Json;
    delete parent[key];
    return removed;
  }
  throw invalid(`json patch remove: "${path}" does not exist`, path);
}

/** RFC 6902 JSON patch (`application/json-patch+json`): add, remove, replace, move, copy, test. */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch body must be an array of operations');
  const document = clone(target) as Json;
  for (const [index, operation] of operations.entries()) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw badRequest(`json patch operation ${index} needs string fields "op" and "path"`);
    }
    const { op, path } = operation;
    switch (op) {
      case 'add':
        addAt(document, path, clone(operation.value ?? null), false);
        break;
      case 'replace':
        addAt(document, path, clone(operation.value ?? null), true);
        break;
      case 'remove':
        removeAt(document, path);
        break;
      case 'move':
      case 'copy': {
        if (typeof operation.from !== 'string') throw badRequest(`json patch operation ${index} (${op}) needs "from"`);
        const value = op === 'move' ? removeAt(document, operation.from) : clone(readPointer(document, operation.from));
        addAt(document, path, value, false);
        break;
      }
      case 'test':
        if (JSON.stringify(readPointer(document, path)) !== JSON.stringify(operation.value)) {
          throw invalid(`json patch test failed at "${path}"`, path);
        }
        break;
      default:
        throw badRequest(`json patch operation ${index} has unknown op "${op}"`);
    }
  }
  return document;
}

// The merge keys Kubernetes declares (patchMergeKey) for the list fields of the kinds the harness serves;
// lists not named here are replaced whole, as strategic merge does for atomic lists.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  tolerations: 'key',
  conditions: 'type',
  ownerReferences: 'uid',
  finalizers: '',
};

// Service ports merge by `port`, container ports by `containerPort`: the same field name, different keys.
function mergeKeyFor(field: string, items: Json[]): string | undefined {
  if (field === 'ports') {
    const first = items.find(isObject);
    return first && 'containerPort' in first ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

function mergeList(field: string, original: Json[], patch: Json[]): Json[] {
  const key = mergeKeyFor(field, [...patch, ...original]);
  if (key === undefined) return clone(patch.filter((item) => !(isObject(item) && '$patch' in item)));
  if (key === '') {
    // A set of primitives (finalizers): union, keeping order.
    const merged = clone(original);
    for (const item of patch) if (!merged.some((existing) => existing === item)) merged.push(clone(item));
    return merged;
  }
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return clone(patch.filter((item) => !(isObject(item) && item.$patch === 'replace')));
  }
  const merged = clone(original);
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = merged.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) merged.splice(index, 1);
    } else if (index >= 0) {
      merged[index] = applyStrategicMergePatch(merged[index], item) as Json;
    } else {
      merged.push(applyStrategicMergePatch({}, item) as Json);
    }
  }
  return merged;
}

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the harness's kinds: lists with a
 * Kubernetes merge key merge item by item, `$patch: delete|replace`, `$retainKeys` and
 * `$deleteFromPrimitiveList/<field>` are honoured, `$setElementOrder/<field>` is accepted (order is kept).
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const replaced = clone(patch);
    delete replaced.$patch;
    return replaced;
  }
  if (patch.$patch === 'delete') return null;
  let result: JsonObject = isObject(target) ? clone(target) : {};
  const retainKeys = patch.$retainKeys;
  if (Array.isArray(retainKeys)) {
    result = Object.fromEntries(Object.entries(result).filter(([key]) => retainKeys.includes(key)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value))
        result[field] = current.filter((item) => !value.includes(item));
      continue;
    }
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      const current = result[key];
      result[key] = mergeList(key, Array.isArray(current) ? current : [], value);
    } else if (isObject(value)) {
      const merged = applyStrategicMergePatch(result[key], value) as Json;
      if (merged === null) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  return result;
}
