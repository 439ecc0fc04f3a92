// POSIX ustar archives, enough for `kubectl cp`: it pipes a Go archive/tar stream into `tar -xmf -`
// and reads `tar cf -` output back with archive/tar.

const BLOCK_BYTES = 512;

/** One archive member. */
export interface TarEntry {
  name: string;
  directory: boolean;
  content: Buffer;
  mode: number;
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function readNumber(block: Buffer, offset: number, length: number): number {
  // GNU base-256 for big values: high bit set on the first byte.
  if ((block[offset] ?? 0) & 0x80) {
    let value = 0;
    for (let index = 1; index < length; index += 1) value = value * 256 + (block[offset + index] ?? 0);
    return value;
  }
  const text = readString(block, offset, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function parsePax(records: Buffer): Record<string, string> {
  const values: Record<string, string> = {};
  let offset = 0;
  while (offset < records.length) {
    const space = records.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number.parseInt(records.subarray(offset, space).toString(), 10);
    if (!Number.isInteger(length) || length <= 0) break;
    const record = records.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals > 0) values[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return values;
}

/** Reads the members of a tar stream (ustar, GNU long names, PAX path/size records). */
export function extractTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pendingName: string | undefined;
  let pendingSize: number | undefined;
  while (offset + BLOCK_BYTES <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK_BYTES);
    if (header.every((byte) => byte === 0)) break;
    const stored = readNumber(header, 148, 8);
    let sum = 0;
    for (let index = 0; index < BLOCK_BYTES; index += 1)
      sum += index >= 148 && index < 156 ? 0x20 : (header[index] ?? 0);
    if (sum !== stored) throw new Error(`tar: header checksum mismatch at byte ${offset}`);
    const type = String.fromCharCode(header[156] ?? 0);
    const size = pendingSize ?? readNumber(header, 124, 12);
    const prefix = readString(header, 345, 155);
    const baseName = readString(header, 0, 100);
    const name = pendingName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const content = archive.subarray(offset + BLOCK_BYTES, offset + BLOCK_BYTES + size);
    if (content.length < size) throw new Error(`tar: archive ends inside ${name}`);
    offset += BLOCK_BYTES + Math.ceil(size / BLOCK_BYTES) * BLOCK_BYTES;
    if (type === 'x') {
      const pax = parsePax(content);
      pendingName = pax.path;
      pendingSize = pax.size === undefined ? undefined : Number(pax.size);
      continue;
    }
    if (type === 'L') {
      pendingName = readString(content, 0, content.length);
      continue;
    }
    pendingName = undefined;
    pendingSize = undefined;
    if (type === 'g') continue;
    if (type === '0' || type === '\0' || type === '5') {
      entries.push({ name, directory: type === '5', content: Buffer.from(content), mode: readNumber(header, 100, 8) });
    }
  }
  return entries;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** Writes a ustar archive (names up to 255 bytes via the prefix field), ending with two zero blocks. */
export function createTar(entries: readonly TarEntry[], mtimeSeconds = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.directory && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
    const header = Buffer.alloc(BLOCK_BYTES);
    let prefix = '';
    let base = name;
    if (Buffer.byteLength(name) > 100) {
      const split = name.lastIndexOf('/', name.length - 2);
      prefix = name.slice(0, split);
      base = name.slice(split + 1);
      if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155)
        throw new Error(`tar: name too long: ${name}`);
    }
    header.write(base, 0, 100, 'utf8');
    writeOctal(header, 100, 8, entry.mode);
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, entry.directory ? 0 : entry.content.length);
    writeOctal(header, 136, 12, mtimeSeconds);
    header.write(entry.directory ? '5' : '0', 156, 1, 'ascii');
    header.write('ustar\0', 257, 6, 'ascii');
    header.write('00', 263, 2, 'ascii');
    header.write('root', 265, 32, 'ascii');
    header.write('root', 297, 32, 'ascii');
    header.write(prefix, 345, 155, 'utf8');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    parts.push(header);
    if (!entry.directory && entry.content.length > 0) {
      parts.push(entry.content, Buffer.alloc((BLOCK_BYTES - (entry.content.length % BLOCK_BYTES)) % BLOCK_BYTES));
    }
  }
  parts.push(Buffer.alloc(BLOCK_BYTES * 2));
  return Buffer.concat(parts);
}
