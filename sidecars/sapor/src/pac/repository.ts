// Reads pipeline definitions from a git repository with the real git binary. A bare repository is
// fetched into (shallow, one ref at a time) and files are read from the commit's tree with
// `git ls-tree` / `git cat-file`: no working tree, so a symbolic link in the repository can never point
// the renderer at a file outside it (links are refused), and a dry run of another ref never disturbs a sync.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { UnavailableError } from '@isd/kit';
import { isDefinitionFile, type DefinitionError } from './render';

const run = promisify(execFile);

/** The repository and how to reach it. */
export interface DefinitionSource {
  url: string;
  ref: string;
  checkoutDir: string;
  /** HTTPS credentials, sent as a Basic Authorization header (never written into the URL or git config). */
  username?: string;
  password?: string;
  /** SSH private key and known_hosts for ssh:// or scp-like URLs. */
  sshKeyFile?: string;
  knownHostsFile?: string;
  timeoutMs: number;
}

/** The files of one commit that the renderer reads, and the entries it refused. */
export interface DefinitionTree {
  commit: string;
  files: Map<string, string>;
  errors: DefinitionError[];
}

/**
 * A ref a caller may name: a branch, a tag or a commit; never an option (no leading `-`) and never `..`.
 * Written without lookahead so the chart's schema (helm checks patterns with Go's RE2) accepts it too.
 */
export const GIT_REF = /^[A-Za-z0-9_](?:\.?[A-Za-z0-9_/-]){0,199}\.?$/;

function quoteForShell(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Fetches refs of the definitions repository and reads trees from it; git calls run one at a time. */
export class DefinitionRepository {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: DefinitionSource,
    private readonly limits: { maxFileBytes: number; maxFiles: number },
  ) {}

  /** Fetches `ref` (default: the configured one) and reads its definition files. */
  fetchTree(ref: string = this.source.ref): Promise<DefinitionTree> {
    const work = this.queue.then(async () => {
      const commit = await this.fetch(ref);
      return this.readTree(commit);
    });
    this.queue = work.catch(() => undefined);
    return work;
  }

  private environment(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // Never prompt, never read system config; credentials go in through the environment only.
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: 'true',
      GIT_CONFIG_NOSYSTEM: '1',
    };
    const { username, password, sshKeyFile, knownHostsFile } = this.source;
    if (username !== undefined && password !== undefined) {
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
      env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    if (sshKeyFile) {
      const hosts = knownHostsFile ? ` -o UserKnownHostsFile=${quoteForShell(knownHostsFile)}` : '';
      env.GIT_SSH_COMMAND = `ssh -i ${quoteForShell(sshKeyFile)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes${hosts}`;
    }
    return env;
  }

  private async git(args: string[], what: string): Promise<string> {
    try {
      const { stdout } = await run('git', args, {
        cwd: this.directory(),
        timeout: this.source.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: this.environment(),
      });
      return stdout;
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' ');
      throw new UnavailableError(`git ${what} failed: ${stderr || (error as Error).message}`, {
        code: 'pipelines_git_failed',
        cause: error,
      });
    }
  }

  private directory(): string {
    return path.resolve(this.source.checkoutDir);
  }

  private async fetch(ref: string): Promise<string> {
    if (!GIT_REF.test(ref))
      throw new UnavailableError(`ref ${JSON.stringify(ref)} is not a branch, tag or commit name`);
    const dir = this.directory();
    const exists = await fs
      .stat(path.join(dir, 'HEAD'))
      .then(() => true)
      .catch(() => false);
    if (!exists) {
      await fs.mkdir(dir, { recursive: true });
      await this.git(['init', '--quiet', '--bare', dir], 'init');
    }
    await this.git(
      [
        'fetch',
        '--quiet',
        '--depth',
        '1',
        '--no-tags',
        '--no-write-fetch-head',
        '--',
        this.source.url,
        `+${ref}:refs/isd/fetched`,
      ],
      `fetch ${ref} from ${redact(this.source.url)}`,
    );
    return (await this.git(['rev-parse', '--verify', 'refs/isd/fetched^{commit}'], 'rev-parse')).trim();
  }

  private async readTree(commit: string): Promise<DefinitionTree> {
    const listing = await this.git(['ls-tree', '-r', '-l', '-z', '--full-tree', commit], 'ls-tree');
    const errors: DefinitionError[] = [];
    const wanted: Array<{ file: string; object: string }> = [];
    for (const entry of listing.split('\0')) {
      if (!entry) continue;
      const tab = entry.indexOf('\t');
      const [mode, type, object, size] = entry.slice(0, tab).split(/\s+/);
      const file = entry.slice(tab + 1);
      if (!isDefinitionFile(file)) continue;
      if (type !== 'blob') continue; // submodules are not definitions
      if (mode === '120000') {
        errors.push({ file, message: 'a symbolic link; definitions must be regular files' });
        continue;
      }
      if (Number(size) > this.limits.maxFileBytes) {
        errors.push({ file, message: `the file is larger than ${this.limits.maxFileBytes} bytes` });
        continue;
      }
      wanted.push({ file, object: object! });
    }
    if (wanted.length > this.limits.maxFiles) {
      return {
        commit,
        files: new Map(),
        errors: [
          { file: '.', message: `the tree has ${wanted.length} definition files; at most ${this.limits.maxFiles}` },
        ],
      };
    }
    const contents = await this.catFiles(wanted.map((entry) => entry.object));
    const files = new Map<string, string>();
    wanted.forEach((entry, index) => files.set(entry.file, contents[index]!));
    return { commit, files, errors };
  }

  /** Reads blobs in one `git cat-file --batch` process. */
  private catFiles(objects: string[]): Promise<string[]> {
    if (!objects.length) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['cat-file', '--batch'], { cwd: this.directory(), env: this.environment() });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), this.source.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new UnavailableError(`git cat-file failed: ${error.message}`, { code: 'pipelines_git_failed' }));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0)
          return reject(new UnavailableError(`git cat-file ended with ${code}`, { code: 'pipelines_git_failed' }));
        const output = Buffer.concat(chunks);
        const contents: string[] = [];
        let offset = 0;
        for (const object of objects) {
          const headerEnd = output.indexOf(0x0a, offset);
          const header = output.subarray(offset, headerEnd).toString('utf8').split(' ');
          if (header[0] !== object || header[1] !== 'blob')
            return reject(new UnavailableError(`git cat-file answered ${header.join(' ')} for ${object}`));
          const size = Number(header[2]);
          contents.push(output.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8'));
          offset = headerEnd + 1 + size + 1;
        }
        resolve(contents);
      });
      child.stdin.end(objects.map((object) => `${object}\n`).join(''));
    });
  }
}

/** A URL without its user information, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}
