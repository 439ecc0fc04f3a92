// What an agent's hello may announce. The session keeps the hello's endpoints and annotations for as long as it
// lives, up to agentLimits.sessionsPerAgent (32) sessions per certificate, and a control message may be as large
// as an exchange frame (8 MiB): one agent announcing 250,000 endpoints in each of its sessions grew the heap by
// some 75 MB a session (measured with both ends in one process), 32 sessions enough for one certificate to end
// the controller and every tunnel with it.
import type { AgentControl } from '@isd/tunnel-proto';

/** An agent announces its configured targets; a thousand is far beyond any configuration seen. */
export const MAX_HELLO_ENDPOINTS = 1_000;
/** Characters of the hello's texts together (names, types, annotations, hostname, version, capabilities). */
export const MAX_HELLO_CHARS = 256 * 1024;

type Hello = NonNullable<AgentControl['hello']>;

function annotationChars(annotations: Record<string, string> | null | undefined): number {
  let chars = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) chars += key.length + value.length;
  return chars;
}

/** Why the controller refuses this hello, or undefined when it is within the limits. */
export function helloProblem(hello: Hello): string | undefined {
  if (hello.endpoints.length > MAX_HELLO_ENDPOINTS)
    return `the hello announces ${hello.endpoints.length} endpoints; at most ${MAX_HELLO_ENDPOINTS}`;
  let chars =
    hello.hostname.length +
    hello.agentVersion.length +
    annotationChars(hello.annotations) +
    hello.capabilities.reduce((total, capability) => total + capability.length, 0);
  for (const endpoint of hello.endpoints)
    chars += endpoint.type.length + endpoint.name.length + annotationChars(endpoint.annotations);
  if (chars > MAX_HELLO_CHARS)
    return `the hello holds ${chars} characters of names and annotations; at most ${MAX_HELLO_CHARS}`;
  return undefined;
}
