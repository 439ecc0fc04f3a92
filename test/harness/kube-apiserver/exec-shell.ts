import { posix } from 'node:path';
import { PodFileSystem } from './pod-files';
import { createTar, extractTar } from './tar';

/** Bytes a command reads: pushed by the transport, ended when the client closes stdin. */
export class StdinQueue {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  /** Queues bytes the client sent on the stdin channel. */
  push(chunk: Buffer): void {
    if (this.ended || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.wake?.();
  }

  /** Marks stdin closed (client EOF, or no stdin requested). */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Yields chunks until stdin is closed. */
  async *read(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Where a command's output goes, and what it runs in. */
export interface ShellIo {
  /** The container's files (`cat`, `test`, `ls`, `mkdir`, `tar` use them). */
  files: PodFileSystem;
  stdin: StdinQueue;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  podName: string;
  env: Record<string, string>;
  signal: AbortSignal;
}

const MAX_SLEEP_SECONDS = 120;
const MAX_STDIN_ARCHIVE_BYTES = 256 * 1024 * 1024;

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// Words of a `sh -c` script: whitespace-separated, with single or double quotes grouping.
function splitWords(script: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let match = pattern.exec(script); match; match = pattern.exec(script))
    words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

/**
 * A tiny built-in "container shell" for exec and attach — not a real process: `echo`, `cat` (stdin to
 * stdout), `hostname`, `env`, `printenv NAME`, `sleep N`, `true`, `false`, `exit N`, `echo-stderr`, and
 * `sh -c "a; b && c"` over those. Returns the exit code; unknown commands exit 127 like a shell.
 */
export async function runShellCommand(command: readonly string[], io: ShellIo): Promise<number> {
  const [program, ...args] = command;
  switch (program) {
    case undefined:
      io.stderr('no command given\n');
      return 126;
    case 'sh':
    case '/bin/sh':
    case 'bash': {
      if (args[0] !== '-c' || args[1] === undefined) {
        // An interactive shell: run each stdin line as a command until stdin closes.
        let exitCode = 0;
        let pending = '';
        for await (const chunk of io.stdin.read()) {
          pending += chunk.toString('utf8');
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line === 'exit') return exitCode;
            if (line) exitCode = await runScript(line, io);
            newline = pending.indexOf('\n');
          }
        }
        return exitCode;
      }
      return runScript(args[1], io);
    }
    case 'echo':
      io.stdout(args.join(' ') + '\n');
      return 0;
    case 'echo-stderr':
      io.stderr(args.join(' ') + '\n');
      return 0;
    case 'cat': {
      if (args.length === 0) {
        for await (const chunk of io.stdin.read()) io.stdout(chunk);
        return 0;
      }
      let exitCode = 0;
      for (const path of args) {
        const content = io.files.read(path);
        if (content) io.stdout(content);
        else {
          io.stderr(`cat: ${path}: ${io.files.isDirectory(path) ? 'Is a directory' : 'No such file or directory'}\n`);
          exitCode = 1;
        }
      }
      return exitCode;
    }
    case 'test':
    case '[': {
      const [flag, path = ''] = args;
      if (flag === '-d') return io.files.isDirectory(path) ? 0 : 1;
      if (flag === '-f') return io.files.isFile(path) ? 0 : 1;
      if (flag === '-e') return io.files.isFile(path) || io.files.isDirectory(path) ? 0 : 1;
      io.stderr(`test: unsupported expression ${args.join(' ')}\n`);
      return 2;
    }
    case 'ls': {
      const path = PodFileSystem.normalize(args.find((arg) => !arg.startsWith('-')) ?? '/');
      if (io.files.isFile(path)) {
        io.stdout(`${path}\n`);
        return 0;
      }
      if (!io.files.isDirectory(path)) {
        io.stderr(`ls: cannot access '${path}': No such file or directory\n`);
        return 2;
      }
      const children = new Set(
        io.files
          .walk(path)
          .filter((entry) => entry.path !== path && posix.dirname(entry.path) === path)
          .map((entry) => posix.basename(entry.path)),
      );
      io.stdout(
        [...children]
          .sort()
          .map((name) => `${name}\n`)
          .join(''),
      );
      return 0;
    }
    case 'mkdir':
      for (const path of args.filter((arg) => !arg.startsWith('-'))) io.files.makeDirectory(path);
      return 0;
    case 'tar':
      return runTar(args, io);
    case 'hostname':
      io.stdout(io.podName + '\n');
      return 0;
    case 'env':
      io.stdout(
        Object.entries({ HOSTNAME: io.podName, ...io.env })
          .map(([name, value]) => `${name}=${value}\n`)
          .join(''),
      );
      return 0;
    case 'printenv': {
      const value = args[0] === undefined ? undefined : io.env[args[0]];
      if (value === undefined) return 1;
      io.stdout(value + '\n');
      return 0;
    }
    case 'sleep': {
      const seconds = Number(args[0] ?? '0');
      if (!Number.isFinite(seconds) || seconds < 0) {
        io.stderr(`sleep: invalid time interval '${args[0] ?? ''}'\n`);
        return 1;
      }
      await sleep(Math.min(seconds, MAX_SLEEP_SECONDS) * 1000, io.signal);
      return 0;
    }
    case 'true':
      return 0;
    case 'false':
      return 1;
    case 'exit':
      return Number(args[0] ?? '0') || 0;
    default:
      io.stderr(`sh: ${program}: not found\n`);
      return 127;
  }
}

// `a; b` runs both, `a && b` stops at the first failure; the script's exit code is the last command's.
async function runScript(script: string, io: ShellIo): Promise<number> {
  let exitCode = 0;
  for (const sequence of script.split(';')) {
    for (const part of sequence.split('&&')) {
      const words = splitWords(part);
      if (words.length === 0) continue;
      if (words[0] === 'exit') return Number(words[1] ?? '0') || 0;
      exitCode = await runShellCommand(words, io);
      if (exitCode !== 0) break;
    }
  }
  return exitCode;
}

// `tar cf - PATH...` and `tar -xmf - [-C DIR]`, the two forms `kubectl cp` runs; no compression.
async function runTar(args: readonly string[], io: ShellIo): Promise<number> {
  const [flagWord = '', ...rest] = args;
  const flags = flagWord.replace(/^-/, '');
  const create = flags.includes('c');
  const extract = flags.includes('x');
  if (create === extract || /[zjJ]/.test(flags)) {
    io.stderr(`tar: this shell supports only "tar cf - PATH" and "tar xf - [-C DIR]", not ${args.join(' ')}\n`);
    return 2;
  }
  const remaining = [...rest];
  if (flags.includes('f') && remaining.shift() !== '-') {
    io.stderr('tar: only "-" (stdin/stdout) is supported as the archive\n');
    return 2;
  }
  let directory = '/';
  const paths: string[] = [];
  while (remaining.length > 0) {
    const arg = remaining.shift() ?? '';
    if (arg === '-C') directory = remaining.shift() ?? '/';
    else paths.push(arg);
  }
  if (create) {
    const entries = [];
    let failed = false;
    if (paths.some((path) => path.startsWith('/'))) io.stderr("tar: Removing leading `/' from member names\n");
    for (const path of paths) {
      const found = io.files.walk(PodFileSystem.normalize(path, directory));
      if (found.length === 0) {
        io.stderr(`tar: ${path}: Cannot stat: No such file or directory\n`);
        failed = true;
      }
      for (const entry of found) {
        entries.push({
          name: entry.path.replace(/^\/+/, ''),
          directory: entry.directory,
          content: entry.directory ? Buffer.alloc(0) : (io.files.read(entry.path) ?? Buffer.alloc(0)),
          mode: entry.directory ? 0o755 : 0o644,
        });
      }
    }
    io.stdout(createTar(entries));
    if (failed) io.stderr('tar: Exiting with failure status due to previous errors\n');
    return failed ? 2 : 0;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of io.stdin.read()) {
    total += chunk.length;
    if (total > MAX_STDIN_ARCHIVE_BYTES) {
      io.stderr(`tar: archive larger than ${MAX_STDIN_ARCHIVE_BYTES} bytes\n`);
      return 2;
    }
    chunks.push(chunk);
  }
  let entries;
  try {
    entries = extractTar(Buffer.concat(chunks));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return 2;
  }
  for (const entry of entries) {
    if (entry.name.split('/').includes('..')) {
      io.stderr(`tar: ${entry.name}: Member name contains '..'\n`);
      return 2;
    }
    const target = PodFileSystem.normalize(entry.name, directory);
    if (entry.directory) io.files.makeDirectory(target);
    else io.files.write(target, entry.content);
  }
  return 0;
}
