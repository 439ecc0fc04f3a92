// The lint rule that keeps package boundaries, run as `npm run lint` runs it (the real eslint.config.mjs,
// typed linting included) on a real service file with imports it must refuse.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@isd/test-support';

interface LintResult {
  messages: { ruleId: string | null; message: string; fatal?: boolean }[];
}

/** Lints `code` as if it were the file `file` of the repository; resolves with eslint's exit code and messages. */
function lintAs(file: string, code: string): Promise<{ exitCode: number; messages: LintResult['messages'] }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      path.join(repoRoot, 'node_modules', '.bin', 'eslint'),
      ['--format', 'json', '--stdin', '--stdin-filename', file],
      { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error ? Number((error as { code?: number }).code ?? 1) : 0;
        try {
          const [result] = JSON.parse(stdout) as LintResult[];
          resolve({ exitCode, messages: result?.messages ?? [] });
        } catch {
          reject(new Error(`eslint gave no JSON (exit ${exitCode}): ${stderr || stdout}`));
        }
      },
    );
    child.stdin?.end(code);
  });
}

const serviceFile = 'sidecars/visibility/src/service.ts';
const original = fs.readFileSync(path.join(repoRoot, serviceFile), 'utf8');

it('passes the service file as it is', async () => {
  const { exitCode, messages } = await lintAs(serviceFile, original);
  expect(messages).toEqual([]);
  expect(exitCode).toBe(0);
}, 180_000);

it('fails a service importing another service, a deep import, an undeclared package and a relative reach', async () => {
  const probe = [
    "export * as sapor from '@isd/sapor';",
    "export * as kitConfig from '@isd/kit/src/config';",
    "export * as rego from '@isd/rego';",
    "export * as agentConfig from '../../../agent/src/config';",
    original,
  ].join('\n');
  const { exitCode, messages } = await lintAs(serviceFile, probe);
  expect(exitCode).toBe(1);
  const boundaries = messages.filter((message) => message.ruleId === 'isd/package-boundaries').map((m) => m.message);
  expect(boundaries).toEqual(
    expect.arrayContaining([
      expect.stringContaining('@isd/visibility is a service and may not import the service @isd/sapor'),
      expect.stringContaining("'@isd/kit/src/config' reaches inside @isd/kit"),
      expect.stringContaining('@isd/visibility imports @isd/rego but its package.json does not declare it'),
      expect.stringContaining("'../../../agent/src/config' reaches by relative path inside @isd/agent"),
    ]),
  );
  expect(messages.filter((message) => message.fatal)).toEqual([]);
}, 180_000);
