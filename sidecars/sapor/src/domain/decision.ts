// How a policy result becomes allow or deny, and how deny messages are collected. Results come as JSON
// data whose numbers may be NumberText or bigint (resultData), written with their texts by stringifyJSON.
import { NumberText, stringifyJSON } from '@isd/rego';

/** A gate's outcome with the reasons shown to the user. */
export interface GateOutcome {
  status: 'allow' | 'deny';
  messages: string[];
}

const MAX_MESSAGES = 100;
const MAX_MESSAGE_CHARS = 2_000;

/** A JSON object (a number held as NumberText is not one). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof NumberText);
}

/**
 * One deny entry as text: a string as is, an object by its `msg`/`message`/`alertMsg`, anything else as
 * JSON with its numbers as the policy wrote them.
 */
export function denyMessage(item: unknown): string {
  let text: string;
  if (typeof item === 'string') text = item;
  else if (isRecord(item)) {
    const named = [item.msg, item.message, item.alertMsg].find((value) => typeof value === 'string');
    text = typeof named === 'string' ? named : stringifyJSON(item);
  } else text = stringifyJSON(item);
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

function asList(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/**
 * Reads a gate decision from the evaluated document (undefined → deny):
 * - a boolean allows or denies;
 * - a set/array is a list of deny messages (empty = allow);
 * - an object's `deny` list denies when non-empty, and its `allow` boolean decides when present
 *   (both must agree to allow); an object with neither is refused.
 */
export function gateOutcome(result: unknown, documentName: string): GateOutcome {
  if (result === undefined)
    return { status: 'deny', messages: [`${documentName} is undefined: no policy decided, so the gate denies`] };
  if (typeof result === 'boolean')
    return { status: result ? 'allow' : 'deny', messages: result ? [] : [`${documentName} is false`] };
  const list = asList(result);
  if (list) return { status: list.length ? 'deny' : 'allow', messages: list.slice(0, MAX_MESSAGES).map(denyMessage) };
  if (isRecord(result)) {
    const record = result;
    const denies = (asList(record.deny) ?? []).slice(0, MAX_MESSAGES).map(denyMessage);
    const extra = (asList(record.messages) ?? [])
      .filter((item): item is string => typeof item === 'string')
      .slice(0, MAX_MESSAGES);
    if (typeof record.allow === 'boolean') {
      const allowed = record.allow && denies.length === 0;
      const messages = [...denies, ...extra];
      if (!allowed && messages.length === 0) messages.push(`${documentName}.allow is false`);
      return { status: allowed ? 'allow' : 'deny', messages };
    }
    if ('deny' in record) return { status: denies.length ? 'deny' : 'allow', messages: [...denies, ...extra] };
    if (!('allow' in record)) {
      return { status: 'deny', messages: [`${documentName} has neither an allow boolean nor a deny set`] };
    }
    return { status: 'deny', messages: [`${documentName}.allow is not a boolean`] };
  }
  return {
    status: 'deny',
    messages: [`${documentName} is ${stringifyJSON(result)}, not a boolean, deny set or decision object`],
  };
}

/** A deny message found under a package: the message and the package path it came from. */
export interface FoundDeny {
  message: string;
  packagePath: string;
}

/**
 * Collects every `deny` set/array anywhere in a document tree (a package and its sub-packages),
 * like OpsMx's validator that joins every deny string in OPA's answer.
 */
export function collectDenies(tree: unknown, packagePath: string, found: FoundDeny[] = [], depth = 0): FoundDeny[] {
  if (depth > 32 || !isRecord(tree)) return found;
  for (const [key, value] of Object.entries(tree)) {
    if (found.length >= MAX_MESSAGES) break;
    if (key === 'deny') {
      for (const item of asList(value) ?? (value === true ? ['denied'] : []))
        found.push({ message: denyMessage(item), packagePath });
    } else if (isRecord(value)) {
      collectDenies(value, `${packagePath}.${key}`, found, depth + 1);
    }
  }
  return found.slice(0, MAX_MESSAGES);
}
