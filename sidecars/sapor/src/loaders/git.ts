// Follows a git repository of policies with the real git binary: shallow clone, then fetch + checkout.
import fs from 'node:fs/promises';
import path from 'node:path';
import { runGit as git } from '../git-command';

/** Which repository and ref to follow, and where the local clone lives. */
export interface GitSource {
  url: string;
  ref: string;
  checkoutDir: string;
}

/** Brings the local clone to the tip of `ref` and returns the commit checked out. */
export async function syncGitRepository(source: GitSource): Promise<string> {
  const dir = path.resolve(source.checkoutDir);
  const cloned = await fs
    .stat(path.join(dir, '.git'))
    .then(() => true)
    .catch(() => false);
  if (!cloned) {
    await fs.mkdir(path.dirname(dir), { recursive: true });
    await fs.rm(dir, { recursive: true, force: true });
    await git(['clone', '--quiet', '--depth', '1', '--no-tags', '--branch', source.ref, '--', source.url, dir]);
  } else {
    await git(['fetch', '--quiet', '--depth', '1', '--no-tags', 'origin', source.ref], dir);
    await git(['checkout', '--quiet', '--force', '--detach', 'FETCH_HEAD'], dir);
  }
  return git(['rev-parse', 'HEAD'], dir);
}
