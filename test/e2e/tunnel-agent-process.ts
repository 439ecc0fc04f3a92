// Child-process entry for the agent SIGKILL test: starts an agent from a JSON argument and prints
// one line once connected.
import { startAgent, type AgentConfig } from '@isd/agent';

async function main(): Promise<void> {
  const agent = await startAgent(JSON.parse(process.argv[2] ?? '{}') as AgentConfig);
  await agent.waitUntilConnected(10_000);
  process.stdout.write(`${JSON.stringify({ connected: true, pid: process.pid })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
