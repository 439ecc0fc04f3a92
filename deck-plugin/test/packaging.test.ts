/**
 * @jest-environment node
 */
// `npm run package -w deck-plugin` output, checked the way Gate's deck-proxy and kork's plugin updater read it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

import { buildPlugin, builtIndexJs, pluginRoot } from './build-plugin';

/** Reads a zip's entries (stored or deflated) from its central directory. */
function unzip(bytes: Buffer): Map<string, Buffer> {
  const endOfDirectory = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfDirectory < 0) throw new Error('not a zip file');
  const count = bytes.readUInt16LE(endOfDirectory + 10);
  let offset = bytes.readUInt32LE(endOfDirectory + 16);
  const entries = new Map<string, Buffer>();
  for (let index = 0; index < count; index++) {
    const method = bytes.readUInt16LE(offset + 10);
    const compressedSize = bytes.readUInt32LE(offset + 20);
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    const localHeader = bytes.readUInt32LE(offset + 42);
    const name = bytes.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    const dataStart = localHeader + 30 + bytes.readUInt16LE(localHeader + 26) + bytes.readUInt16LE(localHeader + 28);
    const data = bytes.subarray(dataStart, dataStart + compressedSize);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** `deckPlugin.id` / `.version` from the orca-stages values Gate's config is rendered from. */
function renderedDeckPluginValues(): { id: string; version: string } {
  const yaml = readFileSync(path.join(pluginRoot, '../orca-stages/values/default.yml'), 'utf8');
  const section = yaml.split(/^deckPlugin:\s*$/m)[1] ?? '';
  return { id: /^\s+id:\s*(\S+)/m.exec(section)?.[1] ?? '', version: /^\s+version:\s*(\S+)/m.exec(section)?.[1] ?? '' };
}

let outDir: string;

beforeAll(async () => {
  await buildPlugin();
  outDir = mkdtempSync(path.join(os.tmpdir(), 'isd-deck-package-'));
  execFileSync(
    process.execPath,
    [path.join(pluginRoot, 'scripts/package.mjs'), '--out', outDir, '--date', '2026-11-22T00:00:00.000Z'],
    {
      cwd: pluginRoot,
      stdio: 'pipe',
    },
  );
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the packaged plugin', () => {
  it('is an ES module exporting `plugin` that takes Deck’s libraries from sharedLibraries and bundles no formik or React', () => {
    const code = readFileSync(builtIndexJs, 'utf8');
    expect(code).toMatch(/export\s*\{[^}]*\bas plugin\b/);
    expect(code).toContain('window.spinnaker.plugins.sharedLibraries._spinnaker_core');
    expect(code).toContain('window.spinnaker.plugins.sharedLibraries.react');
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).not.toContain('__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED');
    // formik's own internals (the library, not the `formik` prop Deck passes in) must not be in the bundle.
    expect(code).not.toMatch(/validateYupSchema|setFormikState/);
  });

  it('puts index.js at the root of deck.zip, and deck.zip in the bundle', () => {
    const deckZip = readFileSync(path.join(outDir, 'deck.zip'));
    const deckEntries = unzip(deckZip);
    expect(deckEntries.get('index.js')?.equals(readFileSync(builtIndexJs))).toBe(true);
    expect([...deckEntries.keys()].sort()).toEqual(['index.js', 'index.js.map']);
    const bundle = unzip(readFileSync(path.join(outDir, 'Isd.GatesPlugin-0.1.0.zip')));
    expect([...bundle.keys()]).toEqual(['deck.zip']);
    expect(bundle.get('deck.zip')?.equals(deckZip)).toBe(true);
  });

  it('writes plugin-info.json with requires deck>= and the bundle’s sha512', () => {
    const info = JSON.parse(readFileSync(path.join(outDir, 'plugin-info.json'), 'utf8'));
    const sha512 = createHash('sha512')
      .update(readFileSync(path.join(outDir, 'Isd.GatesPlugin-0.1.0.zip')))
      .digest('hex');
    expect(info).toEqual({
      id: 'Isd.GatesPlugin',
      description: expect.any(String),
      provider: expect.any(String),
      releases: [
        {
          version: '0.1.0',
          date: '2026-11-22T00:00:00.000Z',
          requires: expect.stringMatching(/^deck>=\d+\.\d+\.\d+$/),
          sha512sum: sha512,
          preferred: false,
          compatibility: [],
        },
      ],
    });
  });

  it('writes a plugins.json repository whose release points at the bundle', () => {
    const repository = JSON.parse(readFileSync(path.join(outDir, 'plugins.json'), 'utf8'));
    expect(repository).toHaveLength(1);
    expect(repository[0].releases[0].url).toBe('Isd.GatesPlugin-0.1.0.zip');
  });

  it('matches the plugin id and version the orca-stages renderer configures Gate with', () => {
    const pkg = JSON.parse(readFileSync(path.join(pluginRoot, 'package.json'), 'utf8'));
    expect(renderedDeckPluginValues()).toEqual({ id: pkg.spinnakerPlugin.id, version: pkg.version });
  });

  it('is reproducible: packaging twice gives the same checksum', () => {
    const again = mkdtempSync(path.join(os.tmpdir(), 'isd-deck-package-'));
    try {
      execFileSync(
        process.execPath,
        [path.join(pluginRoot, 'scripts/package.mjs'), '--out', again, '--date', '2026-11-22T00:00:00.000Z'],
        { cwd: pluginRoot, stdio: 'pipe' },
      );
      expect(readFileSync(path.join(again, 'plugin-info.json'), 'utf8')).toBe(
        readFileSync(path.join(outDir, 'plugin-info.json'), 'utf8'),
      );
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('writes the same plugins.json on every run without --date (release date from the sources, not the clock)', () => {
    const runs = [1, 2].map(() => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'isd-deck-package-'));
      try {
        execFileSync(process.execPath, [path.join(pluginRoot, 'scripts/package.mjs'), '--out', dir], {
          cwd: pluginRoot,
          stdio: 'pipe',
          env: { ...process.env, SOURCE_DATE_EPOCH: '' },
        });
        return readFileSync(path.join(dir, 'plugins.json'), 'utf8');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    expect(runs[1]).toBe(runs[0]);
    const committed = execFileSync('git', ['log', '-1', '--format=%cI', '--', '.'], {
      cwd: pluginRoot,
      encoding: 'utf8',
    });
    expect(JSON.parse(runs[0] as string)[0].releases[0].date).toBe(new Date(committed.trim()).toISOString());
    const fromEpoch = mkdtempSync(path.join(os.tmpdir(), 'isd-deck-package-'));
    try {
      execFileSync(process.execPath, [path.join(pluginRoot, 'scripts/package.mjs'), '--out', fromEpoch], {
        cwd: pluginRoot,
        stdio: 'pipe',
        env: { ...process.env, SOURCE_DATE_EPOCH: '1767225600' },
      });
      const repository = JSON.parse(readFileSync(path.join(fromEpoch, 'plugins.json'), 'utf8'));
      expect(repository[0].releases[0].date).toBe('2026-01-01T00:00:00.000Z');
    } finally {
      rmSync(fromEpoch, { recursive: true, force: true });
    }
  });
});
