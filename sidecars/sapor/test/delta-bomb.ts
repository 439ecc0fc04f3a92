// A git repository whose single commit holds a blob of `objectBytes` made by one delta a few hundred bytes long:
// every copy instruction of the delta is one byte (0x80: copy 64 KiB from offset 0 of its 64 KiB base), and
// zlib shrinks the run of them to almost nothing. The pack and its index are written here, byte by byte, so
// the blob is never built by anyone but the git that fetches it (index-pack inflates it whole to hash it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

const COPY_BYTES = 0x10000;
const OBJECT_TYPES = { commit: 1, tree: 2, blob: 3, refDelta: 7 } as const;

/** A pack object's header: type and inflated size, in git's little-endian base-128 form. */
function objectHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (type << 4) | (size & 15);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 127;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = rest & 127;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? low | 128 : low);
  } while (rest > 0);
  return Buffer.from(bytes);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes;
}

const objectId = (type: string, content: Buffer) =>
  createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest();

/**
 * Makes a bare repository at `dir` whose branch `main` holds `base.txt` (64 KiB) and `huge.bin` (`objectBytes`,
 * a multiple of 64 KiB, as a delta on base.txt); returns the commit.
 */
export function createDeltaBombRepository(dir: string, objectBytes: number): string {
  const base = Buffer.alloc(COPY_BYTES, 'a');
  const baseId = objectId('blob', base);
  const copies = objectBytes / COPY_BYTES;
  const delta = Buffer.concat([varint(COPY_BYTES), varint(objectBytes), Buffer.alloc(copies, 0x80)]);
  const hugeHash = createHash('sha1').update(`blob ${objectBytes}\0`);
  for (let copy = 0; copy < copies; copy += 1) hugeHash.update(base);
  const hugeId = hugeHash.digest();
  const tree = Buffer.concat([Buffer.from('100644 base.txt\0'), baseId, Buffer.from('100644 huge.bin\0'), hugeId]);
  const treeId = objectId('tree', tree);
  const commit = Buffer.from(
    `tree ${treeId.toString('hex')}\nauthor A <a@example.com> 0 +0000\ncommitter A <a@example.com> 0 +0000\n\nbomb\n`,
  );
  const commitId = objectId('commit', commit);
  const objects = [
    { id: commitId, raw: Buffer.concat([objectHeader(OBJECT_TYPES.commit, commit.length), deflateSync(commit)]) },
    { id: treeId, raw: Buffer.concat([objectHeader(OBJECT_TYPES.tree, tree.length), deflateSync(tree)]) },
    { id: baseId, raw: Buffer.concat([objectHeader(OBJECT_TYPES.blob, base.length), deflateSync(base)]) },
    {
      id: hugeId,
      raw: Buffer.concat([objectHeader(OBJECT_TYPES.refDelta, delta.length), baseId, deflateSync(delta)]),
    },
  ];
  const packHeader = Buffer.concat([Buffer.from('PACK'), uint32(2), uint32(objects.length)]);
  const offsets = new Map<Buffer, number>();
  let offset = packHeader.length;
  for (const object of objects) {
    offsets.set(object.id, offset);
    offset += object.raw.length;
  }
  const packBody = Buffer.concat([packHeader, ...objects.map((object) => object.raw)]);
  const packChecksum = createHash('sha1').update(packBody).digest();
  // Index version 2: fan-out table, sorted ids, CRC-32 of each packed object, offsets, pack checksum.
  const sorted = [...objects].sort((a, b) => Buffer.compare(a.id, b.id));
  const fanout = Array.from({ length: 256 }, (_, byte) =>
    uint32(sorted.filter((object) => (object.id[0] ?? 0) <= byte).length),
  );
  const indexBody = Buffer.concat([
    Buffer.from([0xff, 0x74, 0x4f, 0x63]),
    uint32(2),
    ...fanout,
    ...sorted.map((object) => object.id),
    ...sorted.map((object) => uint32(crc32(object.raw))),
    ...sorted.map((object) => uint32(offsets.get(object.id) ?? 0)),
    packChecksum,
  ]);
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  const name = path.join(dir, 'objects', 'pack', `pack-${packChecksum.toString('hex')}`);
  fs.writeFileSync(`${name}.pack`, Buffer.concat([packBody, packChecksum]));
  fs.writeFileSync(`${name}.idx`, Buffer.concat([indexBody, createHash('sha1').update(indexBody).digest()]));
  fs.writeFileSync(path.join(dir, 'refs', 'heads', 'main'), `${commitId.toString('hex')}\n`);
  return commitId.toString('hex');
}
