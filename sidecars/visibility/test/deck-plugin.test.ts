// The Deck plugin repository visibility serves to Gate from deckPlugin.dir: the files as they are, with
// their types, nothing outside them, no credential needed; a directory without plugins.json fails start-up.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVisibility } from './helpers';

const repository = [
  {
    id: 'Isd.GatesPlugin',
    releases: [{ version: '0.1.0', url: 'Isd.GatesPlugin-0.1.0.zip', sha512sum: 'ab'.repeat(64) }],
  },
];
// Not valid UTF-8 on purpose: the bundle must come back byte for byte.
const bundle = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0xfe, 0x00, 0x80, 0x41]);

let dir: string;
let visibility: Awaited<ReturnType<typeof startVisibility>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-deck-plugin-'));
  fs.writeFileSync(path.join(dir, 'plugins.json'), JSON.stringify(repository));
  fs.writeFileSync(path.join(dir, 'Isd.GatesPlugin-0.1.0.zip'), bundle);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not part of the repository');
  visibility = await startVisibility('postgres', { deckPlugin: { dir } });
});

afterAll(async () => {
  await visibility?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('serves plugins.json as JSON without any credential', async () => {
  const response = await fetch(`${visibility.url}/plugins/isd/plugins.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual(repository);
});

it('serves the bundle a relative release url names, byte for byte', async () => {
  const url = new URL(repository[0]?.releases[0]?.url ?? '', `${visibility.url}/plugins/isd/plugins.json`);
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/zip');
  expect(Buffer.from(await response.arrayBuffer())).toEqual(bundle);
});

it.each(['notes.txt', 'missing.zip', '..%2Fplugins.json', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd'])(
  'answers 404 for %s, which is not a repository file',
  async (file) => {
    const response = await fetch(`${visibility.url}/plugins/isd/${file}`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  },
);

it('refuses to start with a directory that holds no plugins.json, naming the key', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-deck-plugin-empty-'));
  try {
    await expect(startVisibility('postgres', { deckPlugin: { dir: empty } })).rejects.toThrow(
      /deckPlugin\.dir: .* holds no plugins\.json listing a plugin/,
    );
    await expect(startVisibility('postgres', { deckPlugin: { dir: path.join(empty, 'nope') } })).rejects.toThrow(
      /deckPlugin\.dir: cannot read/,
    );
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
