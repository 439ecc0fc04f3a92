// The pipelines-as-code repository is untrusted, and a dry run lets any user with READ name any ref of it:
// what one fetch may write to disk, how many tree entries are listed and how many bytes of definition files
// are read are each capped (pipelinesAsCode.limits), git is stopped past a cap — also in the middle of a
// fetch that would otherwise run until its timeout — and the fetch directory is removed whatever happened.
// Real git against a local bare repository made here.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '@isd/test-support';
import { DefinitionRepository, RepositoryLimitError, type RepositoryLimits } from '../src/pac/repository';

const MiB = 1024 * 1024;
const LIMITS: RepositoryLimits = {
  maxFileBytes: 256 * 1024,
  maxFiles: 100,
  maxRepositoryBytes: MiB,
  maxTreeEntries: 50,
  maxTotalBytes: 64 * 1024,
};

let root: string;
let origin: string;
let work: string;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

/** Commits `files` on a new `branch` (from an empty tree) and pushes it. */
function pushBranch(branch: string, files: Record<string, string | Buffer>): void {
  git(work, 'checkout', '--quiet', '--orphan', branch);
  git(work, 'rm', '-r', '--quiet', '--force', '--ignore-unmatch', '.');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), content);
  }
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', branch);
  git(work, 'push', '--quiet', '--force', 'origin', branch);
}

const pipeline = (name: string) => JSON.stringify({ application: 'web', name, stages: [] });

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sapor-pac-repo-'));
  origin = path.join(root, 'origin.git');
  work = path.join(root, 'work');
  fs.mkdirSync(origin);
  git(origin, 'init', '--quiet', '--bare', '--initial-branch=main');
  fs.mkdirSync(work);
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'remote', 'add', 'origin', origin);
  pushBranch('main', { 'web/deploy.json': pipeline('deploy') });
  // Random bytes do not compress: the pack is as large as the file.
  pushBranch('huge', { 'web/deploy.json': pipeline('deploy'), 'assets/blob.bin': randomBytes(3 * MiB) });
  pushBranch(
    'wide',
    Object.fromEntries(Array.from({ length: LIMITS.maxTreeEntries + 1 }, (_, n) => [`docs/${n}.txt`, `${n}`])),
  );
  pushBranch(
    'heavy',
    Object.fromEntries(
      Array.from({ length: 5 }, (_, n) => [
        `web/p${n}.json`,
        JSON.stringify({ name: `p${n}`, pad: 'x'.repeat(20_000) }),
      ]),
    ),
  );
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const repository = (checkoutDir: string, url = `file://${origin}`, timeoutMs = 60_000) =>
  new DefinitionRepository({ url, ref: 'main', checkoutDir, timeoutMs }, LIMITS);

/** What is left in a checkout directory. */
const leftovers = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

describe('the pipelines-as-code repository', () => {
  it('reads a ref within the limits and leaves nothing on disk', async () => {
    const dir = path.join(root, 'checkout-ok');
    const tree = await repository(dir).fetchTree();
    expect([...tree.files.keys()]).toEqual(['web/deploy.json']);
    expect(tree.commit).toBe(git(origin, 'rev-parse', 'main'));
    expect(leftovers(dir)).toEqual([]);
  });

  it('refuses a ref larger than maxRepositoryBytes, removes what git wrote, and still reads the next ref', async () => {
    const dir = path.join(root, 'checkout-huge');
    const repo = repository(dir);
    const refusal = repo.fetchTree('huge');
    await expect(refusal).rejects.toBeInstanceOf(RepositoryLimitError);
    await expect(refusal).rejects.toThrow(/larger than pipelinesAsCode\.limits\.maxRepositoryBytes \(1048576 bytes\)/);
    expect(leftovers(dir)).toEqual([]);
    expect([...(await repo.fetchTree('main')).files.keys()]).toEqual(['web/deploy.json']);
  });

  it('stops a fetch that passes maxRepositoryBytes while it runs, with every process git started', async () => {
    // The remote sends 2 MiB of the 3 MiB pack and then nothing: git would wait for the rest until its
    // timeout (ten minutes here), so only the measurement made while git runs can end this test.
    const pidFile = path.join(root, 'stalling-remote.pid');
    const stallingRemote = path.join(root, 'stalling-remote.js');
    fs.writeFileSync(
      stallingRemote,
      `const { spawn } = require('node:child_process');
       require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
       const uploadPack = spawn('git', ['upload-pack', ${JSON.stringify(origin)}]);
       process.stdin.pipe(uploadPack.stdin);
       let sent = 0;
       uploadPack.stdout.on('data', (chunk) => {
         if (sent < ${2 * MiB}) process.stdout.write(chunk);
         sent += chunk.length;
       });
       setInterval(() => undefined, 60_000); // and never ends`,
    );
    const dir = path.join(root, 'checkout-stalled');
    const previous = process.env.GIT_ALLOW_PROTOCOL;
    process.env.GIT_ALLOW_PROTOCOL = 'ext';
    try {
      const repo = repository(dir, `ext::${process.execPath} ${stallingRemote}`, 600_000);
      const refusal = repo.fetchTree('huge');
      await expect(refusal).rejects.toThrow(/larger than pipelinesAsCode\.limits\.maxRepositoryBytes/);
    } finally {
      if (previous === undefined) delete process.env.GIT_ALLOW_PROTOCOL;
      else process.env.GIT_ALLOW_PROTOCOL = previous;
    }
    expect(leftovers(dir)).toEqual([]);
    // The remote helper git started is gone with it.
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await eventually(
      async () => {
        try {
          process.kill(pid, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      30_000,
      'the stalling remote to end',
    );
  });

  it('refuses a tree with more than maxTreeEntries entries, definition files or not', async () => {
    const dir = path.join(root, 'checkout-wide');
    await expect(repository(dir).fetchTree('wide')).rejects.toThrow(
      /has more than pipelinesAsCode\.limits\.maxTreeEntries \(50\) entries/,
    );
    expect(leftovers(dir)).toEqual([]);
  });

  it('refuses definition files holding more than maxTotalBytes together, though each is small enough', async () => {
    const dir = path.join(root, 'checkout-heavy');
    await expect(repository(dir).fetchTree('heavy')).rejects.toThrow(
      /more than pipelinesAsCode\.limits\.maxTotalBytes \(65536\)/,
    );
    expect(leftovers(dir)).toEqual([]);
  });

  it('removes fetch directories a stopped process left behind', async () => {
    const dir = path.join(root, 'checkout-leftover');
    fs.mkdirSync(path.join(dir, 'fetch-abandoned', 'objects'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'fetch-abandoned', 'objects', 'pack'), randomBytes(1024));
    await repository(dir).fetchTree();
    expect(leftovers(dir)).toEqual([]);
  });
});
