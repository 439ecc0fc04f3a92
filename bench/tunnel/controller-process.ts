// Benchmark controller process: started from a JSON config over IPC, reports addresses and memory.
import { startController, type ControllerConfig } from '@isd/controller';
import { StallWatch, answerStalls, cpuReply } from './children';

const config = JSON.parse(process.argv[2] ?? '{}') as ControllerConfig;
startController(config).then(
  (controller) => {
    const stalls = new StallWatch();
    process.on('message', (message: { type: string }) => {
      if (message.type === 'exit') process.exit(0);
      if (answerStalls(stalls, message)) return;
      if (message.type === 'cpu') {
        process.send?.(cpuReply());
      } else if (message.type === 'memory') {
        (globalThis as { gc?: () => void }).gc?.();
        const usage = process.memoryUsage();
        process.send?.({
          type: 'memory',
          rssBytes: usage.rss,
          heapUsedBytes: usage.heapUsed,
          externalBytes: usage.external,
          agents: controller.agents().length,
        });
      }
    });
    process.send?.({ type: 'ready', agentUrl: controller.agentUrl, serviceUrl: controller.serviceUrl });
  },
  (error: unknown) => {
    process.stderr.write(`controller failed: ${String(error)}\n`);
    process.exit(1);
  },
);

// The load generator went away (finished or killed): never outlive it.
process.on('disconnect', () => process.exit(0));
