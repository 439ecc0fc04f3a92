// Child-process entry for the kill -9 tests: starts a controller from a JSON argument and prints its
// addresses as one JSON line on stdout.
import { startController, type ControllerConfig } from '@isd/controller';

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ControllerConfig;
  const controller = await startController(config);
  process.stdout.write(
    `${JSON.stringify({ agentUrl: controller.agentUrl, serviceUrl: controller.serviceUrl, pid: process.pid })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
