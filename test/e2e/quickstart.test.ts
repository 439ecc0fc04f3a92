// docs/quickstart.md as a newcomer follows it: every ```sh block, verbatim and in order, in one bash
// session against a started `npm start` (fresh state directory). The blocks check their own outcomes
// (`grep -q`, `curl -f`, `test`), so any step that stops working fails the script.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, repoRoot } from '@isd/test-support';
import { startEnv, startPorts, startProduct } from './npm-start-support';

/** The ```sh blocks of a Markdown document, in order. */
export function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
}

/** The last lines of a service's log in the state directory, to explain a failed step. */
function logTail(stateDir: string, service: string): string {
  const file = path.join(stateDir, `${service}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-40).join('\n') : '(no log)';
}

function runBash(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

it('extracts the shell blocks of a document and nothing else', () => {
  expect(shellBlocks('a\n```sh\necho 1\n```\n```\nnpm start\n```\n```sh\necho 2\necho 3\n```\n')).toEqual([
    'echo 1\n',
    'echo 2\necho 3\n',
  ]);
});

it('runs every command of docs/quickstart.md against npm start: approval, policy saved by a demo user, passing and failing verification', async () => {
  const blocks = shellBlocks(fs.readFileSync(path.join(repoRoot, 'docs', 'quickstart.md'), 'utf8'));
  expect(blocks.length).toBeGreaterThanOrEqual(8);
  const ports = startPorts(1);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-quickstart-'));
  const product = startProduct(ports, stateDir);
  try {
    await eventually(
      async () => (product.output().includes('Ctrl-C stops everything') ? true : undefined),
      240_000,
      `npm start ready: ${product.output()}`,
    );
    expect(product.output()).not.toContain('NOT READY');
    const script = ['set -euo pipefail', ...blocks].join('\n');
    const { code, output } = await runBash(script, startEnv(ports, stateDir));
    if (code !== 0)
      throw new Error(
        `quickstart failed (exit ${code}):\n${output}\n--- npm start:\n${product.output()}\n--- autopilot.log:\n${logTail(stateDir, 'autopilot')}`,
      );
    expect(output).toMatch(/approval \S+ approved/);
    expect(output).toContain('policy saved by admin');
    expect(output).toMatch(/^pass \d+/m);
    expect(output).toMatch(/^fail \d+/m);
  } finally {
    product.child.kill('SIGINT');
    await Promise.race([product.exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
    product.child.kill('SIGKILL');
  }
}, 600_000);
