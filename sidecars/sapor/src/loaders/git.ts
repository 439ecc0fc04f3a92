// Follows a git repository of policies with the real git binary: shallow clone, then fetch + checkout.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const GIT_TIMEOUT_MS = 120_000;

/** Which repository and ref to follow, and where the local clone lives. */
export interface GitSource {
  url: string;
  ref: string;
  checkoutDir: string;
}

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run('git', args, {
      cwd,
      timeout: GIT_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      // Never prompt for credentials or run hooks from a policy repository.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', GIT_CONFIG_NOSYSTEM: '1' },
    });
    return stdout.trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`git ${args[0]} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
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
