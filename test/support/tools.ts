import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './processes';

/** The test tools `scripts/install-test-tools.sh` builds, each into `.tools/<name>-<version>/<name>`. */
export type TestTool =
  'helm' | 'opa' | 'kube-apiserver' | 'etcd' | 'opensearch' | 'graphite' | 'influxd' | 'argo-rollouts' | 'schemathesis';

/**
 * Absolute path of a test tool built by `scripts/install-test-tools.sh`. A missing tool throws, so the
 * test that needs it fails with the command that installs it instead of being skipped.
 */
export function requireTool(name: TestTool): string {
  const toolsDir = process.env.ISD_TOOLS_DIR ?? path.join(repoRoot, '.tools');
  const candidates = fs.existsSync(toolsDir)
    ? fs
        .readdirSync(toolsDir)
        .filter((entry) => entry.startsWith(`${name}-v`))
        .map((entry) => path.join(toolsDir, entry, name))
        .filter((file) => fs.existsSync(file))
    : [];
  const found = candidates.sort().at(-1);
  if (!found) {
    throw new Error(`${name} is not installed under ${toolsDir}: run scripts/install-test-tools.sh`);
  }
  return found;
}
