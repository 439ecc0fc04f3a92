import fs from 'node:fs';
import path from 'node:path';
import { GENERATED_DIR, generateTunnelTypes } from '../../scripts/generate-tunnel-proto';

function committedFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? committedFiles(path.join(dir, entry.name), path.join(prefix, entry.name))
        : [path.join(prefix, entry.name)],
    )
    .sort();
}

describe('generated types', () => {
  it('are what the generator writes from the current tunnel.proto (run `npm run generate -w @isd/tunnel-proto`)', () => {
    const generated = generateTunnelTypes();
    expect(committedFiles(GENERATED_DIR)).toEqual([...generated.keys()]);
    for (const [file, text] of generated) {
      expect({ file, text: fs.readFileSync(path.join(GENERATED_DIR, file), 'utf8') }).toEqual({ file, text });
    }
  }, 60_000);
});
