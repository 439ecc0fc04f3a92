// Builds the plugin (and, for the browser tests, the host page) for the tests, serialized with a lock
// file so parallel jest workers never write build/ at the same time, and skipped when the inputs are
// unchanged (a stamp of their content), so one worker never cleans files another is serving.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** The plugin workspace root. */
export const pluginRoot = path.join(__dirname, '..');

/** The built plugin module Deck loads. */
export const builtIndexJs = path.join(pluginRoot, 'build/dist/index.js');

const lockFile = path.join(pluginRoot, 'build/.test-build.lock');
const maxLockWaitMs = 180_000;

async function withLock<T>(work: () => T): Promise<T> {
  mkdirSync(path.dirname(lockFile), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      break;
    } catch {
      // A lock older than the wait limit is left over from a killed run.
      if (existsSync(lockFile) && Date.now() - statSync(lockFile).mtimeMs > maxLockWaitMs)
        rmSync(lockFile, { force: true });
      if (Date.now() - started > maxLockWaitMs) throw new Error(`timed out waiting for ${lockFile}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

const built = new Set<string>();

/** Runs the plugin's webpack build (scripts/build.mjs) unless this process already did. */
export function buildPlugin(): Promise<void> {
  if (built.has('plugin')) return Promise.resolve();
  return withLock(() => {
    execFileSync(process.execPath, [path.join(pluginRoot, 'scripts/build.mjs')], { cwd: pluginRoot, stdio: 'pipe' });
    built.add('plugin');
  });
}

/** Builds the browser test's host page (the real @spinnaker/core and React, published as Deck does). */
export function buildHostPage(): Promise<string> {
  const output = path.join(pluginRoot, 'build/browser-host');
  if (built.has('host')) return Promise.resolve(output);
  return withLock(() => {
    execFileSync(process.execPath, [path.join(pluginRoot, 'test/browser/build-host.mjs')], {
      cwd: pluginRoot,
      stdio: 'pipe',
    });
    built.add('host');
    return output;
  });
}
