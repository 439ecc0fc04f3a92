// What issuing credentials costs the controller's event loop (decision 190, follow-up): every tunnelled
// request on a replica waits while its loop is held. In one process, alternating within the run:
//   - event-loop busy time per credential: the controller's issueAgentCredentials (key pair generated on the
//     thread pool) against the key generation issue() did before, `generateKeyPairSync`, as the baseline;
//   - 1 KB GETs of the controller's /healthz at 100/s (open loop, latency from the schedule), rounds
//     `idle`, `issuing` (the control API's generateAgentManifestComponents once a second) and `blocking`
//     (a `generateKeyPairSync` once a second in the controller's process: the old issue()); p99 ÷ idle's.
// Usage: tsc -b bench && node bench/dist/tunnel/issue.js [--rounds N] [--credentials N] [--round-ms MS]
// The last line printed is one JSON object.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startController, type RunningController } from '@isd/controller';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    credentials: { type: 'string', default: '20' },
    'round-ms': { type: 'string', default: '5000' },
  },
});
const ROUNDS = Number(args.rounds);
const CREDENTIALS = Number(args.credentials);
const ROUND_MS = Number(args['round-ms']);
const ISSUE_EVERY_MS = 1000;
const GETS_PER_SECOND = 100;

const progress = (message: string): void => void process.stderr.write(`[bench:issue] ${message}\n`);
const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const percentile = (sorted: number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/** The key generation issue() did on the event loop before it was asynchronous. */
const blockingKeyPair = (): void =>
  void generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

/** Milliseconds the event loop was busy while `work` ran (waiting on the thread pool is idle time). */
async function loopBusyMs(work: () => unknown): Promise<number> {
  const start = performance.eventLoopUtilization();
  await work();
  return performance.eventLoopUtilization(start).active;
}

function getStatus(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function postControl(controller: RunningController, path: string, token: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, controller.controlUrl), {
      method: 'POST',
      ca: controller.ca.certPem,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** /healthz latencies (ms, sorted) at GETS_PER_SECOND for ROUND_MS while `background` runs every ISSUE_EVERY_MS. */
async function latencyRound(url: string, background?: () => Promise<unknown>): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const total = Math.floor((GETS_PER_SECOND * ROUND_MS) / 1000);
  const latencies: number[] = [];
  const pending: Array<Promise<unknown>> = [];
  const started = performance.now();
  const timer = background ? setInterval(() => pending.push(background()), ISSUE_EVERY_MS) : undefined;
  for (let index = 0; index < total; index += 1) {
    const scheduledAt = started + (index * 1000) / GETS_PER_SECOND;
    const wait = scheduledAt - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      getStatus(url, agent).then((status) => {
        if (status !== 200) throw new Error(`/healthz answered ${status}`);
        latencies.push(performance.now() - scheduledAt);
      }),
    );
  }
  clearInterval(timer);
  await Promise.all(pending);
  agent.destroy();
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const controller = await startController({
    host: '127.0.0.1',
    agentPort: 0,
    servicePort: 0,
    controlPort: 0,
    metricsPort: 0,
  });
  try {
    const { token } = await controller.issueControlCredentials('bench');

    progress(`event-loop busy time per credential, ${CREDENTIALS} each, alternating`);
    const busy = { asynchronous: [] as number[], blocking: [] as number[] };
    for (let index = 0; index < CREDENTIALS; index += 1) {
      busy.asynchronous.push(await loopBusyMs(() => controller.issueAgentCredentials(`bench-${index}`)));
      busy.blocking.push(await loopBusyMs(blockingKeyPair));
    }

    const healthz = `${controller.metricsUrl}/healthz`;
    const kinds = {
      idle: undefined,
      issuing: async () => {
        const status = await postControl(controller, '/api/v1/generateAgentManifestComponents', token, {
          agentName: 'bench-burst',
        });
        if (status !== 200) throw new Error(`generateAgentManifestComponents answered ${status}`);
      },
      blocking: async () => blockingKeyPair(),
    };
    const rounds: Record<keyof typeof kinds, Array<{ p50: number; p99: number; max: number }>> = {
      idle: [],
      issuing: [],
      blocking: [],
    };
    for (let index = 0; index < ROUNDS; index += 1) {
      for (const [kind, background] of Object.entries(kinds) as Array<
        [keyof typeof kinds, (() => Promise<unknown>) | undefined]
      >) {
        progress(`round ${index + 1}/${ROUNDS}: ${kind}`);
        const latencies = await latencyRound(healthz, background);
        rounds[kind].push({
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
          max: latencies.at(-1) ?? NaN,
        });
      }
    }
    const summary = Object.fromEntries(
      Object.entries(rounds).map(([kind, list]) => [
        kind,
        {
          p50Ms: round(median(list.map((entry) => entry.p50))),
          p99Ms: round(median(list.map((entry) => entry.p99))),
          maxMs: round(median(list.map((entry) => entry.max))),
        },
      ]),
    ) as Record<keyof typeof kinds, { p50Ms: number; p99Ms: number; maxMs: number }>;
    const result = {
      loopBusyMsPerCredential: {
        asynchronous: { median: round(median(busy.asynchronous)), max: round(Math.max(...busy.asynchronous)) },
        blockingBaseline: { median: round(median(busy.blocking)), max: round(Math.max(...busy.blocking)) },
        ratio: round(median(busy.asynchronous) / median(busy.blocking), 3),
      },
      healthzAt100PerSecond: summary,
      p99VsIdle: {
        issuing: round(summary.issuing.p99Ms / summary.idle.p99Ms, 3),
        blocking: round(summary.blocking.p99Ms / summary.idle.p99Ms, 3),
      },
    };
    console.log(JSON.stringify(result));
  } finally {
    await controller.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
