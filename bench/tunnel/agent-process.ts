// Benchmark agent process: runs `count` agents (1 for traffic, 1,000 for the memory test) and
// reports when they are connected and how much memory they use.
import fs from 'node:fs';
import { startAgent, type AgentConfig, type RunningAgent } from '@isd/agent';
import { StallWatch, answerStalls, cpuReply } from './children';

interface Start {
  count: number;
  config: AgentConfig;
  /** A JSON array of credentials, one per agent (else every agent uses `config.credentials`). */
  credentialsFile?: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Start;
const fleetCredentials = options.credentialsFile
  ? (JSON.parse(fs.readFileSync(options.credentialsFile, 'utf8')) as AgentConfig['credentials'][])
  : [];

async function main(): Promise<void> {
  const agents: RunningAgent[] = [];
  // Agents come up in batches of 50, as a fleet does over time; 1,000 simultaneous TLS handshakes
  // would measure a thundering herd instead of steady-state memory.
  const batchSize = 50;
  for (let start = 0; start < options.count; start += batchSize) {
    const batch: RunningAgent[] = [];
    for (let index = start; index < Math.min(options.count, start + batchSize); index += 1) {
      batch.push(
        await startAgent({
          ...options.config,
          credentials: fleetCredentials[index] ?? options.config.credentials,
          healthPort: index === 0 ? options.config.healthPort : null,
        }),
      );
    }
    await Promise.all(batch.map((agent) => agent.waitUntilConnected(60_000)));
    agents.push(...batch);
    if (options.count > batchSize)
      process.stderr.write(`[bench:tunnel] ${agents.length}/${options.count} simulated agents connected\n`);
  }
  const stalls = new StallWatch();
  process.on('message', (message: { type: string; timeoutMs?: number }) => {
    if (message.type === 'exit') process.exit(0);
    if (answerStalls(stalls, message)) return;
    if (message.type === 'wait-connected') {
      Promise.all(agents.map((agent) => agent.waitUntilConnected(message.timeoutMs ?? 60_000))).then(
        () => process.send?.({ type: 'connected', count: agents.filter((agent) => agent.connected).length }),
        (error: unknown) => process.send?.({ type: 'error', message: String(error) }),
      );
    } else if (message.type === 'cpu') {
      process.send?.(cpuReply());
    } else if (message.type === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({
        type: 'memory',
        rssBytes: process.memoryUsage().rss,
        connected: agents.filter((agent) => agent.connected).length,
      });
    }
  });
  process.send?.({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`agent failed: ${String(error)}\n`);
  process.exit(1);
});

// The load generator went away (finished or killed): never outlive it.
process.on('disconnect', () => process.exit(0));
