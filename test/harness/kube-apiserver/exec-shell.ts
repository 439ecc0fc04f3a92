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
  stdin: StdinQueue;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  podName: string;
  env: Record<string, string>;
  signal: AbortSignal;
}

const MAX_SLEEP_SECONDS = 120;

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
    case 'cat':
      for await (const chunk of io.stdin.read()) io.stdout(chunk);
      return 0;
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
