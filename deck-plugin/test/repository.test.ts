/**
 * @jest-environment node
 */
// The chart's delivery path for the plugin, end to end: the packaged repository (what the image holds)
// served by real visibility from deckPlugin.dir, read the way kork's plugin updater reads it — plugins.json
// from the URL in the chart's gate-local.yml, the release bundle at its url resolved against that
// location, checked against the release's sha512sum — for the plugin id and version Gate's deck-proxy asks for.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { parseGateLocal } from '@isd/orca-stages';
import { createTestDatabase, startTestService, testServiceConfig } from '@isd/test-support';
import { visibilityService } from '@isd/visibility';
import type { VisibilityConfig } from '@isd/visibility';
import { buildPlugin, pluginRoot } from './build-plugin';

interface Release {
  version: string;
  url: string;
  sha512sum: string;
}

let repositoryDir: string;
let visibility: RunningService<VisibilityConfig>;

beforeAll(async () => {
  await buildPlugin();
  repositoryDir = mkdtempSync(path.join(os.tmpdir(), 'isd-deck-repository-'));
  execFileSync(process.execPath, [path.join(pluginRoot, 'scripts/package.mjs'), '--out', repositoryDir], {
    cwd: pluginRoot,
    stdio: 'pipe',
  });
  const config = testServiceConfig(visibilityService, {
    databaseUrl: await createTestDatabase('deck_plugin_repository'),
    extra: { deckPlugin: { dir: repositoryDir } },
  });
  visibility = await startTestService(visibilityService, { ...config, server: { ...config.server, gatePort: 0 } });
}, 180_000);

afterAll(async () => {
  await visibility?.stop();
  if (repositoryDir) rmSync(repositoryDir, { recursive: true, force: true });
});

it("gives Gate the plugin its deck-proxy asks for, at the chart's repository path, with a bundle matching its sha512sum", async () => {
  // The repository URL of the chart's bundled gate-local.yml, moved onto this visibility's Gate-only listener.
  const gateLocal = parseGateLocal(
    readFileSync(path.join(pluginRoot, '..', 'charts', 'isd', 'files', 'spinnaker', 'gate-local.yml'), 'utf8'),
  );
  const [repository] = Object.values(gateLocal.spinnaker.extensibility.repositories);
  const chartUrl = new URL(repository?.url ?? '');
  const repositoryUrl = new URL(chartUrl.pathname, visibility.gateUrl);

  const listing = await fetch(repositoryUrl);
  expect(listing.status).toBe(200);
  const plugins = (await listing.json()) as { id: string; releases: Release[] }[];
  const asked = Object.entries(gateLocal.spinnaker.extensibility['deck-proxy'].plugins);
  expect(asked).toHaveLength(1);
  const [id, wanted] = asked[0] as [string, { version?: string }];
  const release = plugins
    .find((plugin) => plugin.id === id)
    ?.releases.find((entry) => entry.version === wanted.version);
  expect(release).toBeDefined();

  const bundle = await fetch(new URL(release?.url ?? '', repositoryUrl));
  expect(bundle.status).toBe(200);
  const bytes = Buffer.from(await bundle.arrayBuffer());
  expect(createHash('sha512').update(bytes).digest('hex')).toBe(release?.sha512sum);
  expect(bytes.equals(readFileSync(path.join(repositoryDir, `${id}-${String(wanted.version)}.zip`)))).toBe(true);
});
