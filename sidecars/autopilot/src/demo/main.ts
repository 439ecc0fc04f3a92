// Entry point of the demo metrics source `npm start` runs: `node dist/demo/main.js --port 9091`.
import { parseArgs } from 'node:util';
import { startDemoPrometheus } from './demo-prometheus';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '9091' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`demo-metrics: --port must be an integer 0–65535, got ${JSON.stringify(values.port)}\n`);
    process.exit(1);
  }
  const source = await startDemoPrometheus({ port, host: values.host });
  process.stdout.write(`demo metrics source (Prometheus query API) at ${source.url}\n`);
  const stop = () => void source.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo-metrics: ${(error as Error).message}\n`);
  process.exit(1);
});
