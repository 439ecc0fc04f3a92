import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodFileSystem } from './pod-files';
import { createTar, extractTar } from './tar';

describe('tar', () => {
  it('round-trips files and directories, including names longer than 100 bytes', () => {
    const long = `${'d'.repeat(80)}/${'f'.repeat(90)}.txt`;
    const entries = [
      { name: 'data', directory: true, content: Buffer.alloc(0), mode: 0o755 },
      { name: 'data/a.bin', directory: false, content: Buffer.from([0, 255, 1]), mode: 0o644 },
      { name: long, directory: false, content: Buffer.alloc(1000, 7), mode: 0o600 },
    ];
    const extracted = extractTar(createTar(entries));
    expect(
      extracted.map((entry) => [entry.name.replace(/\/$/, ''), entry.directory, entry.content.length, entry.mode]),
    ).toEqual([
      ['data', true, 0, 0o755],
      ['data/a.bin', false, 3, 0o644],
      [long, false, 1000, 0o600],
    ]);
  });

  it('reads archives written by the system tar (GNU) and is read back by it', () => {
    const directory = mkdtempSync(join(tmpdir(), 'isd-tar-'));
    try {
      mkdirSync(join(directory, 'in', 'sub'), { recursive: true });
      writeFileSync(join(directory, 'in', 'sub', 'x.txt'), 'from gnu tar\n');
      const archive = execFileSync('tar', ['cf', '-', '-C', directory, 'in']);
      const files = extractTar(archive).filter((entry) => !entry.directory);
      expect(files.map((entry) => [entry.name, entry.content.toString()])).toEqual([
        ['in/sub/x.txt', 'from gnu tar\n'],
      ]);
      writeFileSync(
        join(directory, 'ours.tar'),
        createTar([{ name: 'out/y.txt', directory: false, content: Buffer.from('from the harness\n'), mode: 0o644 }]),
      );
      execFileSync('tar', ['xf', join(directory, 'ours.tar'), '-C', directory]);
      expect(readFileSync(join(directory, 'out', 'y.txt'), 'utf8')).toBe('from the harness\n');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses an archive with a corrupted header checksum', () => {
    const archive = createTar([{ name: 'a', directory: false, content: Buffer.from('x'), mode: 0o644 }]);
    archive[0] = 'b'.charCodeAt(0);
    expect(() => extractTar(archive)).toThrow('checksum mismatch');
  });
});

describe('PodFileSystem', () => {
  it('creates parent directories and walks a tree in order', () => {
    const files = new PodFileSystem();
    files.write('/data/sub/b', Buffer.from('b'));
    files.write('data/a', Buffer.from('a'));
    expect(files.isDirectory('/data/sub/')).toBe(true);
    expect(files.walk('/data').map((entry) => entry.path)).toEqual(['/data', '/data/a', '/data/sub', '/data/sub/b']);
    expect(() => files.write('/data', Buffer.from('x'))).toThrow('Is a directory');
  });
});
