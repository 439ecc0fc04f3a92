// The README's first command: `npm start` runs every service on the embedded default, prints where
// they are, stops them all on Ctrl-C, and a second run reuses the same data. Uses the dist/ that
// `npm test`'s type-check step has just built (ISD_START_SKIP_BUILD=1).
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { eventually, repoRoot } from '@isd/test-support';
import { startPorts, startProduct } from './npm-start-support';

const ports = startPorts();

/** GET getAgentStatistics on the control API with the CA and bootstrap token `npm start` points to. */
function controlApiStatus(port: number, controllerDir: string): Promise<number | undefined> {
  const token = fs.readFileSync(path.join(controllerDir, 'bootstrap-control-token'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const request = https.get(`https://localhost:${port}/api/v1/getAgentStatistics`, {
      ca: fs.readFileSync(path.join(controllerDir, 'ca.crt')),
      headers: { authorization: `Bearer ${token}` },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', reject);
  });
}

const readyUrls = () => [
  `http://127.0.0.1:${ports.visibility}/readyz`,
  `http://127.0.0.1:${ports.autopilot}/readyz`,
  `http://127.0.0.1:${ports.sapor}/readyz`,
  `http://127.0.0.1:${ports.metrics}/readyz`,
  `http://127.0.0.1:${ports.demoMetrics}/-/ready`,
];

it('starts all services on embedded Postgres, stops them on Ctrl-C, and restarts on the same data', async () => {
  const builtMains = ['sidecars/visibility', 'sidecars/autopilot', 'sidecars/sapor', 'controller'].map((dir) =>
    path.join(repoRoot, dir, 'dist', 'main.js'),
  );
  expect(builtMains.filter((file) => !fs.existsSync(file))).toEqual([]);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-start-'));

  for (const run of [1, 2]) {
    const product = startProduct(ports, stateDir);
    try {
      await eventually(
        async () => (product.output().includes('Ctrl-C stops everything') ? true : undefined),
        200_000,
        `run ${run} ready: ${product.output()}`,
      );
      expect(product.output()).not.toContain('NOT READY');
      expect(product.output()).toContain(`http://localhost:${ports.visibility}`);
      expect(product.output()).toContain(`http://localhost:${ports.demoMetrics}`);
      // The control API is TLS only; its CA and the bootstrap token are where the output says.
      expect(product.output()).toContain(`https://localhost:${ports.control}`);
      const controllerDir = path.relative(repoRoot, path.join(stateDir, 'controller'));
      expect(product.output()).toContain(
        `CA ${controllerDir}/ca.crt, bootstrap control token ${controllerDir}/bootstrap-control-token`,
      );
      expect(await controlApiStatus(ports.control, path.join(stateDir, 'controller'))).toBe(200);
      for (const url of readyUrls()) expect((await fetch(url)).status).toBe(200);
      product.child.kill('SIGINT');
      expect(await product.exited).toBe(0);
      expect(product.output()).toContain('all services stopped');
    } finally {
      // A failed assertion leaves it running: Ctrl-C stops its services too (SIGKILL alone would orphan them).
      product.child.kill('SIGINT');
      await Promise.race([product.exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
      product.child.kill('SIGKILL');
    }
    for (const service of ['visibility', 'autopilot', 'sapor'])
      expect(fs.existsSync(path.join(stateDir, service))).toBe(true);
  }
  const credentials = JSON.parse(fs.readFileSync(path.join(stateDir, 'dev-credentials.json'), 'utf8')) as {
    serviceToken: string;
  };
  expect(credentials.serviceToken).toMatch(/^[0-9a-f]{48}$/);
}, 480_000);
