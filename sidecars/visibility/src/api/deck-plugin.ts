// The Deck plugin repository Gate installs the plugin from: plugins.json and the bundle zip that
// `npm run package -w deck-plugin` writes, served read-only from `deckPlugin.dir` (the image holds them).
// Gate's plugin updater fetches them without a user, so the routes are public; the content is the
// browser code every Deck user downloads anyway.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, NotFoundError, type HttpApp } from '@isd/kit';
import { z } from 'zod';

/** Path prefix of the repository; plugins.json's relative release URLs resolve under it. */
export const deckPluginPath = '/plugins/isd';

const contentTypes: Record<string, string> = { '.json': 'application/json', '.zip': 'application/zip' };

/**
 * Reads the repository files once (they never change while the image runs) and registers
 * GET /plugins/isd/{file} for exactly those files. A directory without a valid plugins.json is a
 * configuration error at start-up, naming the key.
 */
export function registerDeckPluginRoutes(http: HttpApp, dir: string): void {
  const files = new Map<string, { bytes: Buffer; contentType: string }>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    throw new ConfigError(`config: deckPlugin.dir: cannot read ${dir}: ${(error as Error).message}`);
  }
  for (const name of names) {
    const contentType = contentTypes[path.extname(name)];
    if (contentType) files.set(name, { bytes: fs.readFileSync(path.join(dir, name)), contentType });
  }
  const repository = files.get('plugins.json');
  let releases: unknown;
  try {
    releases = repository && JSON.parse(repository.bytes.toString('utf8'));
  } catch {
    releases = undefined;
  }
  if (!Array.isArray(releases) || releases.length === 0)
    throw new ConfigError(`config: deckPlugin.dir: ${dir} holds no plugins.json listing a plugin`);

  http.route(
    {
      method: 'get',
      path: `${deckPluginPath}/:file`,
      summary: "The Deck plugin repository (plugins.json and bundles) for Gate's spinnaker.extensibility.repositories",
      tags: ['deck-plugin'],
      auth: 'public',
      params: z.object({ file: z.string() }),
      responses: {
        200: { description: 'the file' },
        404: { description: 'no such file in the repository' },
      },
    },
    async ({ params }) => {
      const file = files.get(params.file);
      if (!file) throw new NotFoundError(`${deckPluginPath}/${params.file} is not in the Deck plugin repository`);
      return { status: 200, body: file.bytes, contentType: file.contentType };
    },
  );
}
