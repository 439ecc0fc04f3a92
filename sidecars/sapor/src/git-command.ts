// How sapor runs a short git command (policy repository, accounts repository): never prompting for
// credentials, without the host's system config, within a timeout, and with no URL credentials in its errors
// (a repository URL may carry a token: https://user:token@host/…). Pipelines as code streams and caps its
// fetches, so it spawns git itself (pac/repository.ts) with the same environment and redaction.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const GIT_TIMEOUT_MS = 120_000;

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
    const { stdout } = await run('git', args, {
      cwd,
      timeout: GIT_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, ...GIT_ENV },
    });
    return stdout.trim();
  } catch (error) {
    const stderr = withoutUrlCredentials(String((error as { stderr?: unknown }).stderr ?? '').trim());
    const message = withoutUrlCredentials((error as Error).message);
    throw new GitError(`git ${args[0]} failed: ${stderr || message}`, stderr);
  }
}
