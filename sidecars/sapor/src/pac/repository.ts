// Reads pipeline definitions from a git repository with the real git binary. Each fetch goes into a fresh
// bare repository (shallow, one ref) that is removed once its tree is read; files are read from the commit's
// tree with `git ls-tree` / `git cat-file`: no working tree, so a symbolic link in the repository can never
// point the renderer at a file outside it (links are refused), and a dry run of another ref never disturbs a
// sync. The repository is untrusted: the bytes git writes, the tree entries listed and the bytes of files
// read are each capped, and git is stopped (its whole process group) when a cap is passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { IsdError, UnavailableError } from '@isd/kit';
import { GIT_ENV, gitCommand, memoryBoundMessage, withoutUrlCredentials } from '../git-command';
import { isDefinitionFile, type DefinitionError } from './render';

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

/** What one fetch may bring in and what reading its tree may take (`pipelinesAsCode.limits`). */
export interface RepositoryLimits {
  maxFileBytes: number;
  maxFiles: number;
  /** Bytes git may write to the fetch directory (pack, index, loose objects). */
  maxRepositoryBytes: number;
  /** Entries (files, links, submodules) of the commit's tree, definition files or not. */
  maxTreeEntries: number;
  /** Bytes of all definition files read together. */
  maxTotalBytes: number;
}

/** The files of one commit that the renderer reads, and the entries it refused. */
export interface DefinitionTree {
  commit: string;
  files: Map<string, string>;
  errors: DefinitionError[];
}

/** 400: the repository (at this ref) holds more than a `pipelinesAsCode.limits` key allows; the message names it. */
export class RepositoryLimitError extends IsdError {
  constructor(message: string) {
    super('InputError', message, { code: 'repository_limit_exceeded' });
  }
}

/** 400: the repository has no such branch or tag, or no such commit it will serve (a caller's mistake, not git's). */
export class UnknownRefError extends IsdError {
  constructor(ref: string, cause: unknown) {
    super('InputError', `the repository has no branch, tag or commit ${JSON.stringify(ref)}`, {
      code: 'ref_not_found',
      cause,
    });
  }
}

/** What git says when the remote has no such ref (protocol v0 and v2), or will not serve that commit. */
const UNKNOWN_REF = /couldn't find remote ref|not our ref|unadvertised object/i;

const LIMITS_KEY = 'pipelinesAsCode.limits';
/** How often the fetch directory is measured while git writes to it. */
const WATCH_INTERVAL_MS = 25;
/** The fetch directories of this process: `fetch-` and a random suffix, under checkoutDir. */
const FETCH_PREFIX = 'fetch-';

/**
 * A ref a caller may name: a branch, a tag or a commit; never an option (no leading `-`) and never `..`.
 * Written without lookahead so the chart's schema (helm checks patterns with Go's RE2) accepts it too.
 */
export const GIT_REF = /^[A-Za-z0-9_](?:\.?[A-Za-z0-9_/-]){0,199}\.?$/;

function quoteForShell(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Total size of the files under `dir`; what git renamed or removed meanwhile counts nothing. */
async function directoryBytes(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(file);
    else if (entry.isFile())
      total += await fs
        .lstat(file)
        .then((stat) => stat.size)
        .catch(() => 0);
  }
  return total;
}

interface GitCall {
  args: string[];
  /** What the call does, for messages. */
  what: string;
  cwd: string;
  stdin?: string;
  /** Receives stdout as it comes instead of it being collected; throwing stops git with that error. */
  onStdout?: (chunk: Buffer) => void;
  /** Stops git once the files under `cwd` pass this many bytes. */
  maxDirectoryBytes?: number;
}

/** Fetches refs of the definitions repository and reads trees from it; git calls run one at a time. */
export class DefinitionRepository {
  private queue: Promise<unknown> = Promise.resolve();
  private leftoversRemoved = false;

  constructor(
    private readonly source: DefinitionSource,
    private readonly limits: RepositoryLimits,
  ) {}

  /** Fetches `ref` (default: the configured one) and reads its definition files. */
  fetchTree(ref: string = this.source.ref): Promise<DefinitionTree> {
    const work = this.queue.then(async () => {
      if (!GIT_REF.test(ref))
        throw new UnavailableError(`ref ${JSON.stringify(ref)} is not a branch, tag or commit name`);
      const dir = await this.freshDirectory();
      try {
        const commit = await this.fetch(dir, ref);
        return await this.readTree(dir, commit);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
    this.queue = work.catch(() => undefined);
    return work;
  }

  /** A new empty directory under checkoutDir; the first call also removes what a stopped process left there. */
  private async freshDirectory(): Promise<string> {
    const parent = path.resolve(this.source.checkoutDir);
    await fs.mkdir(parent, { recursive: true });
    if (!this.leftoversRemoved) {
      for (const name of await fs.readdir(parent))
        if (name.startsWith(FETCH_PREFIX)) await fs.rm(path.join(parent, name), { recursive: true, force: true });
      this.leftoversRemoved = true;
    }
    return fs.mkdtemp(path.join(parent, FETCH_PREFIX));
  }

  private environment(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // Credentials go in through the environment only.
      ...GIT_ENV,
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

  /**
   * Runs git in its own process group, so that stopping it (timeout, a cap passed) also stops what it
   * started (index-pack, the transport helper). Resolves with stdout unless `onStdout` takes it.
   */
  private git(call: GitCall): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const command = gitCommand(call.args);
      const child = spawn(command.file, command.args, {
        cwd: call.cwd,
        env: this.environment(),
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const stdout: Buffer[] = [];
      let stderr = '';
      let stopped: Error | undefined;
      let settled = false;
      const stop = (reason: Error) => {
        stopped ??= reason;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const failure = (message: string, cause?: unknown) =>
        new UnavailableError(`git ${call.what} failed: ${message}`, { code: 'pipelines_git_failed', cause });
      const timer = setTimeout(
        () => stop(failure(`it took longer than pipelinesAsCode.git.timeoutMs (${this.source.timeoutMs} ms)`)),
        this.source.timeoutMs,
      );
      const overCap = async () => {
        const { maxDirectoryBytes } = call;
        if (maxDirectoryBytes === undefined) return false;
        const bytes = await directoryBytes(call.cwd);
        if (bytes <= maxDirectoryBytes) return false;
        stop(
          new RepositoryLimitError(
            `the repository is larger than ${LIMITS_KEY}.maxRepositoryBytes (${maxDirectoryBytes} bytes): git ${call.what} had written ${bytes} bytes when it was stopped`,
          ),
        );
        return true;
      };
      let measuring = false;
      const watcher =
        call.maxDirectoryBytes === undefined
          ? undefined
          : setInterval(() => {
              if (measuring || stopped) return;
              measuring = true;
              void overCap()
                .catch(() => false)
                .finally(() => (measuring = false));
            }, WATCH_INTERVAL_MS);
      child.stdout.on('data', (chunk: Buffer) => {
        if (stopped) return;
        if (!call.onStdout) return void stdout.push(chunk);
        try {
          call.onStdout(chunk);
        } catch (error) {
          stop(error as Error);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-4096);
      });
      child.stdin.on('error', () => undefined); // git may exit before reading all of stdin
      child.stdin.end(call.stdin ?? '');
      const finish = (error: Error | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (watcher) clearInterval(watcher);
        if (error) reject(error);
        else resolve(Buffer.concat(stdout));
      };
      child.on('error', (error) => finish(failure(error.message, error)));
      child.on('close', (code, signal) => {
        void (async () => {
          // Measured once more at the end: git may have finished between two measurements.
          if (!stopped && code === 0 && (await overCap().catch(() => false))) return finish(stopped);
          if (stopped) return finish(stopped);
          if (code === 0) return finish(undefined);
          const lines = stderr.trim().split('\n').slice(-3).join(' ');
          const memory = memoryBoundMessage(stderr);
          finish(failure(`${memory ? `${memory}: ` : ''}${lines || `it ended with ${code ?? signal}`}`));
        })();
      });
    });
  }

  private async fetch(dir: string, ref: string): Promise<string> {
    await this.git({ args: ['init', '--quiet', '--bare', dir], what: 'init', cwd: dir });
    await this.git({
      args: [
        // index-pack (not unpack-objects) takes every pack: it writes what arrives to disk as it comes, where
        // it is measured (gitCommand streams blobs above 1 MiB and bounds the memory of deltas).
        '-c',
        'fetch.unpackLimit=1',
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
      what: `fetch ${ref} from ${withoutUrlCredentials(this.source.url)}`,
      cwd: dir,
      maxDirectoryBytes: this.limits.maxRepositoryBytes,
    }).catch((error: unknown) => {
      throw error instanceof UnavailableError && UNKNOWN_REF.test(error.message)
        ? new UnknownRefError(ref, error)
        : error;
    });
    const commit = await this.git({
      args: ['rev-parse', '--verify', 'refs/isd/fetched^{commit}'],
      what: 'rev-parse',
      cwd: dir,
    });
    return commit.toString('utf8').trim();
  }

  /** The commit's definition-file entries, its tree listed a chunk at a time and git stopped past maxTreeEntries. */
  private async listDefinitionEntries(dir: string, commit: string): Promise<string[]> {
    const definitions: string[] = [];
    let count = 0;
    let partial: Buffer = Buffer.alloc(0);
    const { maxTreeEntries } = this.limits;
    const take = (entry: string) => {
      if (!entry) return;
      if (++count > maxTreeEntries)
        throw new RepositoryLimitError(
          `the tree of ${commit} has more than ${LIMITS_KEY}.maxTreeEntries (${maxTreeEntries}) entries`,
        );
      // Only definition files are kept: the rest of a large tree costs a count, not memory.
      if (isDefinitionFile(entry.slice(entry.indexOf('\t') + 1))) definitions.push(entry);
    };
    await this.git({
      args: ['ls-tree', '-r', '-l', '-z', '--full-tree', commit],
      what: 'ls-tree',
      cwd: dir,
      // Split at NUL bytes before decoding, so a name is never cut inside a UTF-8 character.
      onStdout: (chunk) => {
        let rest = partial.length ? Buffer.concat([partial, chunk]) : chunk;
        for (let end = rest.indexOf(0); end !== -1; end = rest.indexOf(0)) {
          take(rest.subarray(0, end).toString('utf8'));
          rest = rest.subarray(end + 1);
        }
        partial = rest;
      },
    });
    take(partial.toString('utf8'));
    return definitions;
  }

  private async readTree(dir: string, commit: string): Promise<DefinitionTree> {
    const errors: DefinitionError[] = [];
    const wanted: Array<{ file: string; object: string; size: number }> = [];
    for (const entry of await this.listDefinitionEntries(dir, commit)) {
      const tab = entry.indexOf('\t');
      const [mode, type, object, size] = entry.slice(0, tab).split(/\s+/);
      const file = entry.slice(tab + 1);
      if (type !== 'blob') continue; // submodules are not definitions
      if (mode === '120000') {
        errors.push({ file, message: 'a symbolic link; definitions must be regular files' });
        continue;
      }
      if (Number(size) > this.limits.maxFileBytes) {
        errors.push({ file, message: `the file is larger than ${this.limits.maxFileBytes} bytes` });
        continue;
      }
      wanted.push({ file, object: object!, size: Number(size) });
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
    const totalBytes = wanted.reduce((sum, entry) => sum + entry.size, 0);
    if (totalBytes > this.limits.maxTotalBytes)
      throw new RepositoryLimitError(
        `the definition files of ${commit} hold ${totalBytes} bytes, more than ${LIMITS_KEY}.maxTotalBytes (${this.limits.maxTotalBytes})`,
      );
    const contents = await this.catFiles(
      dir,
      wanted.map((entry) => entry.object),
    );
    const files = new Map<string, string>();
    wanted.forEach((entry, index) => files.set(entry.file, contents[index]!));
    return { commit, files, errors };
  }

  /** Reads blobs in one `git cat-file --batch` process (their sizes are known and capped). */
  private async catFiles(dir: string, objects: string[]): Promise<string[]> {
    if (!objects.length) return [];
    const output = await this.git({
      args: ['cat-file', '--batch'],
      what: 'cat-file',
      cwd: dir,
      stdin: objects.map((object) => `${object}\n`).join(''),
    });
    const contents: string[] = [];
    let offset = 0;
    for (const object of objects) {
      const headerEnd = output.indexOf(0x0a, offset);
      const header = output.subarray(offset, headerEnd).toString('utf8').split(' ');
      if (header[0] !== object || header[1] !== 'blob')
        throw new UnavailableError(`git cat-file answered ${header.join(' ')} for ${object}`, {
          code: 'pipelines_git_failed',
        });
      const size = Number(header[2]);
      contents.push(output.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8'));
      offset = headerEnd + 1 + size + 1;
    }
    return contents;
  }
}
