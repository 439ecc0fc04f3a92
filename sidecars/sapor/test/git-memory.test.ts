// A repository sapor fetches (policies, accounts, pipelines as code) is untrusted input. One made by
// delta-bomb.ts claims a 1 GiB blob in a pack of a few hundred bytes: unbounded, the real git that fetches it
// inflates the whole gigabyte in memory (index-pack, to hash it). Bounded, git fails at once and the error
// says why; the pod's memory is never at stake.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GIT_MAX_MEMORY_BYTES, runGit } from '../src/git-command';
import { syncGitRepository } from '../src/loaders/git';
import { DefinitionRepository } from '../src/pac/repository';
import { createDeltaBombRepository } from './delta-bomb';

const OBJECT_BYTES = 2 * GIT_MAX_MEMORY_BYTES;
let root: string;
let bomb: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sapor-git-memory-'));
  bomb = path.join(root, 'bomb.git');
  createDeltaBombRepository(bomb, OBJECT_BYTES);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

it('the bomb is a real repository: its pack is tiny and git reports the blob at its full size', async () => {
  const packBytes = fs
    .readdirSync(path.join(bomb, 'objects', 'pack'))
    .filter((file) => file.endsWith('.pack'))
    .reduce((total, file) => total + fs.statSync(path.join(bomb, 'objects', 'pack', file)).size, 0);
  expect(packBytes).toBeLessThan(4096);
  expect(await runGit(['cat-file', '-s', 'main:huge.bin'], bomb)).toBe(String(OBJECT_BYTES));
});

it('the policy repository loader fails naming the memory bound', async () => {
  const sync = syncGitRepository({ url: `file://${bomb}`, ref: 'main', checkoutDir: path.join(root, 'policies') });
  await expect(sync).rejects.toThrow(/git clone failed: the repository holds an object larger than git may inflate/);
});

it('a pipelines-as-code fetch fails naming the memory bound', async () => {
  const repository = new DefinitionRepository(
    { url: `file://${bomb}`, ref: 'main', checkoutDir: path.join(root, 'pipelines'), timeoutMs: 60_000 },
    {
      maxFileBytes: 256 * 1024,
      maxFiles: 100,
      maxRepositoryBytes: 64 * 1024 * 1024,
      maxTreeEntries: 100,
      maxTotalBytes: 1024 * 1024,
    },
  );
  await expect(repository.fetchTree()).rejects.toThrow(/larger than git may inflate/);
});
