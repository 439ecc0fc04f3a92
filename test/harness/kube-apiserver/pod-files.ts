import { posix } from 'node:path';

/** A pod container's files, in memory: what `kubectl cp` reads and writes through `tar` in the shell. */
export class PodFileSystem {
  private readonly files = new Map<string, Buffer>();
  private readonly directories = new Set<string>(['/', '/tmp', '/etc']);

  /** Absolute, normalised path ("tmp/x" → "/tmp/x", trailing slashes dropped). */
  static normalize(path: string, workingDirectory = '/'): string {
    const absolute = posix.resolve(workingDirectory, path);
    return absolute.length > 1 ? absolute.replace(/\/+$/, '') : absolute;
  }

  /** Writes a file, creating its parent directories. */
  write(path: string, content: Buffer): void {
    const target = PodFileSystem.normalize(path);
    if (this.directories.has(target)) throw new Error(`${target}: Is a directory`);
    this.makeDirectory(posix.dirname(target));
    this.files.set(target, Buffer.from(content));
  }

  /** Creates a directory and its parents. */
  makeDirectory(path: string): void {
    for (let current = PodFileSystem.normalize(path); ; current = posix.dirname(current)) {
      this.directories.add(current);
      if (current === '/') return;
    }
  }

  /** A file's content, or undefined. */
  read(path: string): Buffer | undefined {
    const content = this.files.get(PodFileSystem.normalize(path));
    return content ? Buffer.from(content) : undefined;
  }

  isFile(path: string): boolean {
    return this.files.has(PodFileSystem.normalize(path));
  }

  isDirectory(path: string): boolean {
    return this.directories.has(PodFileSystem.normalize(path));
  }

  /** Everything at or below `path`, directories first, sorted: what `tar c` archives. */
  walk(path: string): { path: string; directory: boolean }[] {
    const root = PodFileSystem.normalize(path);
    const inside = (candidate: string) => candidate === root || candidate.startsWith(root === '/' ? '/' : `${root}/`);
    return [
      ...[...this.directories].filter(inside).map((entry) => ({ path: entry, directory: true })),
      ...[...this.files.keys()].filter(inside).map((entry) => ({ path: entry, directory: false })),
    ].sort((a, b) => a.path.localeCompare(b.path));
  }
}
