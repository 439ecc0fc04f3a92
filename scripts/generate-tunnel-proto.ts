// Generates tunnel-proto/src/generated/ (TypeScript types of tunnel-proto/proto/tunnel.proto) with
// @grpc/proto-loader's own generator, using the load options the controller and agent load the .proto
// with, then formats the output as the repository formats code. `npm run generate -w @isd/tunnel-proto`
// rewrites the committed copy; tunnel-proto/src/generated.test.ts fails when the two differ.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const packageDir = path.join(root, 'tunnel-proto');
/** Where the committed generated types live. */
export const GENERATED_DIR = path.join(packageDir, 'src', 'generated');
const HEADER = '// Generated from tunnel-proto/proto/tunnel.proto by scripts/generate-tunnel-proto.ts: do not edit.\n';
/**
 * Lint rules for written code that the generator's output breaks by design (`any` in its constructor
 * helper type, empty interfaces for empty messages); each file turns off only the ones it needs.
 */
const GENERATED_CODE_RULES: Array<[RegExp, string]> = [
  [/\bany\b/, '@typescript-eslint/no-explicit-any'],
  [/interface \w+ \{\s*\}/, '@typescript-eslint/no-empty-object-type'],
];

function lintHeader(text: string): string {
  const rules = GENERATED_CODE_RULES.filter(([pattern]) => pattern.test(text)).map(([, rule]) => rule);
  return rules.length ? `/* eslint-disable ${rules.join(', ')} */\n` : '';
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? listFiles(path.join(dir, entry.name), path.join(prefix, entry.name))
        : [path.join(prefix, entry.name)],
    )
    .sort();
}

/** The generated files, relative path → formatted content. */
export function generateTunnelTypes(): Map<string, string> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnel-proto-'));
  try {
    const generator = path.join(root, 'node_modules', '.bin', 'proto-loader-gen-types');
    // Same options as loadTunnelDefinition (src/service.ts), so the types describe what the code receives.
    const result = spawnSync(
      generator,
      [
        '--longs=Number',
        '--enums=Number',
        '--defaults',
        '--oneofs',
        '--grpcLib=@grpc/grpc-js',
        `--outDir=${outDir}`,
        'proto/tunnel.proto',
      ],
      { cwd: packageDir, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`proto-loader-gen-types failed: ${result.stderr || result.error}`);
    for (const file of listFiles(outDir)) {
      const text = fs.readFileSync(path.join(outDir, file), 'utf8');
      fs.writeFileSync(path.join(outDir, file), HEADER + lintHeader(text) + text);
    }
    // The prettier CLI rather than its API: the API loads plugins with import(), which jest runs only
    // behind a Node flag.
    const prettier = spawnSync(
      path.join(root, 'node_modules', '.bin', 'prettier'),
      ['--config', path.join(root, '.prettierrc.json'), '--write', '--log-level=warn', outDir],
      { encoding: 'utf8' },
    );
    if (prettier.status !== 0) throw new Error(`prettier failed: ${prettier.stderr || prettier.error}`);
    return new Map(listFiles(outDir).map((file) => [file, fs.readFileSync(path.join(outDir, file), 'utf8')]));
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

function main(): void {
  const files = generateTunnelTypes();
  fs.rmSync(GENERATED_DIR, { recursive: true, force: true });
  for (const [file, text] of files) {
    fs.mkdirSync(path.dirname(path.join(GENERATED_DIR, file)), { recursive: true });
    fs.writeFileSync(path.join(GENERATED_DIR, file), text);
  }
  process.stdout.write(`wrote ${files.size} files to ${path.relative(root, GENERATED_DIR)}\n`);
}

if (require.main === module) main();
