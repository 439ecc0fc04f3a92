// `npm run package -w deck-plugin`: turns build/dist into what Gate's deck-proxy installs
// (spinnaker-gradle-project AssembleUIPluginTask / BundlePluginsTask / CreatePluginInfoTask):
//   build/distributions/deck.zip                  index.js (and its map) at the zip root
//   build/distributions/<id>-<version>.zip        the plugin bundle, holding deck.zip
//   build/distributions/plugin-info.json          {id, description, provider, releases:[{version, date, requires, sha512sum, ...}]}
//   build/distributions/plugins.json              repository file: [plugin-info + release url]
// Zips are byte-for-byte reproducible (fixed timestamps, sorted entries) so sha512sum is stable.
// plugin-info.json and plugins.json are reproducible too: the release date is --date, else
// SOURCE_DATE_EPOCH (the reproducible-builds convention), else the time of the last commit of deck-plugin/.
// Usage: node scripts/package.mjs [--base-url https://host/path/] [--date 2026-01-01T00:00:00Z] [--out dir]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const yazl = require('yazl');

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const distDir = path.join(root, 'build/dist');
const fixedTime = new Date('2020-01-01T00:00:00Z');

function argument(name) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** Builds a zip in memory from [name, bytes] pairs. */
function zip(entries) {
  return new Promise((resolve, reject) => {
    const archive = new yazl.ZipFile();
    for (const [name, bytes] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
      archive.addBuffer(bytes, name, { mtime: fixedTime, mode: 0o100644 });
    }
    archive.end();
    const chunks = [];
    archive.outputStream.on('data', (chunk) => chunks.push(chunk));
    archive.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    archive.outputStream.on('error', reject);
  });
}

/** The release date: the same for the same sources, never the time of packaging. */
function releaseDate() {
  const given = argument('date');
  if (given !== undefined) {
    const date = new Date(given);
    if (Number.isNaN(date.getTime())) fail(`--date ${JSON.stringify(given)} is not an ISO-8601 date`);
    return date.toISOString();
  }
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d+$/.test(epoch)) fail(`SOURCE_DATE_EPOCH ${JSON.stringify(epoch)} is not a number of seconds`);
    return new Date(Number(epoch) * 1000).toISOString();
  }
  try {
    const committed = execFileSync('git', ['log', '-1', '--format=%cI', '--', '.'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (committed) return new Date(committed).toISOString();
  } catch {
    // not a git checkout: fall through
  }
  fail('no release date: pass --date or SOURCE_DATE_EPOCH (this is not a git checkout with deck-plugin history)');
}

function fail(message) {
  console.error(`deck-plugin: ${message}`);
  process.exit(1);
}

const outDir = path.resolve(argument('out') ?? path.join(root, 'build/distributions'));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const { id, provider, requires } = pkg.spinnakerPlugin;
const version = pkg.version;

let distFiles;
try {
  // Dotfiles (e.g. the tests' build stamp) are not part of the plugin.
  distFiles = readdirSync(distDir).filter(
    (name) => !name.startsWith('.') && statSync(path.join(distDir, name)).isFile(),
  );
} catch {
  distFiles = [];
}
if (!distFiles.includes('index.js')) {
  console.error(`deck-plugin: ${path.relative(process.cwd(), distDir)}/index.js is missing; run the build first`);
  process.exit(1);
}

const deckZip = await zip(distFiles.map((name) => [name, readFileSync(path.join(distDir, name))]));
const bundleName = `${id}-${version}.zip`;
const bundleZip = await zip([['deck.zip', deckZip]]);
const sha512sum = createHash('sha512').update(bundleZip).digest('hex');

const release = {
  version,
  date: releaseDate(),
  requires,
  sha512sum,
  preferred: false,
  compatibility: [],
};
const pluginInfo = { id, description: pkg.description, provider, releases: [release] };
// A relative url is resolved against the repository (plugins.json) location by kork's plugin updater.
const baseUrl = argument('base-url') ?? '';
const repository = [{ ...pluginInfo, releases: [{ ...release, url: `${baseUrl}${bundleName}` }] }];

mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'deck.zip'), deckZip);
writeFileSync(path.join(outDir, bundleName), bundleZip);
writeFileSync(path.join(outDir, 'plugin-info.json'), `${JSON.stringify(pluginInfo, null, 2)}\n`);
writeFileSync(path.join(outDir, 'plugins.json'), `${JSON.stringify(repository, null, 2)}\n`);

console.log(`deck-plugin: packaged ${id} ${version} into ${path.relative(process.cwd(), outDir)}/`);
console.log(`  deck.zip ${deckZip.length} bytes (${distFiles.join(', ')}), ${bundleName} ${bundleZip.length} bytes`);
console.log(`  sha512sum ${sha512sum}`);
