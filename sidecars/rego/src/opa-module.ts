// Where the pinned OPA Go module lives on this machine: its conformance cases and capabilities.json.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The OPA version this engine is checked against (scripts/install-test-tools.sh downloads the same). */
export const OPA_VERSION = 'v1.22.4';
const OPA_MODULE = 'github.com/open-policy-agent/opa';

const INSTALL_HINT = `run scripts/install-test-tools.sh (it runs \`go mod download ${OPA_MODULE}@${OPA_VERSION}\`)`;

/** Directory of the OPA module in the Go module cache; throws naming the install script when absent. */
export function opaModuleDir(): string {
  let cache = process.env.GOMODCACHE;
  if (!cache) {
    try {
      cache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
    } catch (err) {
      throw new Error(`cannot ask Go for its module cache (${(err as Error).message}): ${INSTALL_HINT}`);
    }
  }
  // The module cache escapes upper-case letters as "!x"; this path has none.
  const dir = join(cache, `${OPA_MODULE}@${OPA_VERSION}`);
  if (!existsSync(dir)) throw new Error(`OPA module ${OPA_VERSION} not found at ${dir}: ${INSTALL_HINT}`);
  return dir;
}

/** OPA's conformance cases of the pinned version: `v1/test/cases/testdata/v1`, or `…/v0` (Rego v0 syntax). */
export function opaConformanceDir(syntax: 'v0' | 'v1' = 'v1'): string {
  const dir = join(opaModuleDir(), 'v1', 'test', 'cases', 'testdata', syntax);
  if (!existsSync(dir)) throw new Error(`OPA conformance cases not found at ${dir}: ${INSTALL_HINT}`);
  return dir;
}

/** One builtin as capabilities.json declares it. */
export interface CapabilityBuiltin {
  name: string;
  decl: { args?: unknown[]; result?: unknown; type: string };
  relation?: boolean;
  infix?: string;
  deprecated?: boolean;
  nondeterministic?: boolean;
}

/** The builtins the pinned OPA version declares in its capabilities.json. */
export function opaCapabilities(): { builtins: CapabilityBuiltin[] } {
  return JSON.parse(readFileSync(join(opaModuleDir(), 'capabilities.json'), 'utf8')) as {
    builtins: CapabilityBuiltin[];
  };
}
