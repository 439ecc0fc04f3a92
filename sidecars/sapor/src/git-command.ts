// How sapor runs a short git command (policy repository, accounts repository): never prompting for
// credentials, without the host's system config, within a timeout, within a memory bound, and with no URL
// credentials in its errors (a repository URL may carry a token: https://user:token@host/…). Pipelines as code
// streams and caps its fetches, so it spawns git itself (pac/repository.ts) with the same command line,
// environment and redaction.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const GIT_TIMEOUT_MS = 120_000;

/**
 * Memory each git process may allocate (RLIMIT_DATA, set with util-linux's `prlimit`: heap and private writable
 * mappings since Linux 4.7; reserved address space and mapped pack files do not count, unlike RLIMIT_AS). Its
 * helpers (index-pack, the transport) inherit it. A repository is untrusted input: a delta of a few hundred bytes
 * can claim an object of gigabytes, which index-pack allocates whole to hash it, so a fetch could take the pod's
 * memory. git's own settings below do not bound that allocation; this does (malloc fails, git exits naming the
 * size). Every object sapor reads is small, and ordinary fetches stay far below (decision 226).
 */
export const GIT_MAX_MEMORY_BYTES = 512 * 1024 * 1024;

/**
 * git's own memory settings: one thread (each would resolve deltas, with its own caches), a small delta base
 * cache and pack windows, and blobs over 1 MiB streamed rather than inflated whole (only for blobs stored
 * whole: a delta's result is always built in memory, hence the limit above).
 */
const GIT_MEMORY_CONFIG = [
  ['pack.threads', '1'],
  ['pack.windowMemory', '64m'],
  ['core.deltaBaseCacheLimit', '32m'],
  ['core.packedGitWindowSize', '32m'],
  ['core.packedGitLimit', '256m'],
  ['core.bigFileThreshold', '1m'],
].flatMap(([key, value]) => ['-c', `${key}=${value}`]);

/** `prlimit` on the PATH, if there is one (util-linux, in every Debian image; absent on macOS). */
const PRLIMIT = (process.env.PATH ?? '')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'prlimit'))
  .find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** The program and arguments that run `git args` within sapor's memory bounds. */
export function gitCommand(args: string[]): { file: string; args: string[] } {
  const git = [...GIT_MEMORY_CONFIG, ...args];
  return PRLIMIT
    ? { file: PRLIMIT, args: [`--data=${GIT_MAX_MEMORY_BYTES}`, '--', 'git', ...git] }
    : { file: 'git', args: git };
}

/** What git's stderr means, when it ran out of its memory bound; undefined otherwise. */
export function memoryBoundMessage(stderr: string): string | undefined {
  return /out of memory|malloc failed|cannot allocate memory/i.test(stderr)
    ? `the repository holds an object larger than git may inflate (git may use ${GIT_MAX_MEMORY_BYTES / 1024 / 1024} MiB)`
    : undefined;
}

/** Environment variables every git sapor runs gets: no prompt, no askpass, no system config. */
export const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', GIT_CONFIG_NOSYSTEM: '1' } as const;

/** `text` with the user and password of any URL in it replaced by `***`. */
export function withoutUrlCredentials(text: string): string {
  return text.replace(/\/\/[^/@\s]+@/g, '//***@');
}

/** A git command that failed; `rejected` when a push lost a race (the branch moved). */
export class GitError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
  get rejected(): boolean {
    return /\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref/.test(
      this.stderr,
    );
  }
}

/** Runs `git args` in `cwd` and returns its trimmed stdout, or throws GitError with its (redacted) stderr. */
export async function runGit(args: string[], cwd?: string): Promise<string> {
  try {
    const command = gitCommand(args);
    const { stdout } = await run(command.file, command.args, {
      cwd,
      timeout: GIT_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, ...GIT_ENV },
    });
    return stdout.trim();
  } catch (error) {
    const stderr = withoutUrlCredentials(String((error as { stderr?: unknown }).stderr ?? '').trim());
    const message = withoutUrlCredentials((error as Error).message);
    const memory = memoryBoundMessage(stderr);
    throw new GitError(`git ${args[0]} failed: ${memory ? `${memory}: ` : ''}${stderr || message}`, stderr);
  }
}
