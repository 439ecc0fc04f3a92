// Process entry: the only file that reads process.env, argv and writes renewed credentials.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@isd/kit';
import { startAgent } from './agent';
import { loadAgentConfig, toAgentConfig } from './config';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string' } }, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: main.js [--config FILE]\n`);
    process.exit(2);
  }
  // The config-file variable shares the override prefix but is not a config key.
  const { ISD_AGENT_CONFIG_FILE: fileFromEnv, ...env } = process.env;
  const file = args.config ?? fileFromEnv;
  let fileConfig;
  let agentConfig;
  try {
    fileConfig = loadAgentConfig(env, file);
    agentConfig = toAgentConfig(fileConfig, {
      host: process.env.KUBERNETES_SERVICE_HOST,
      port: process.env.KUBERNETES_SERVICE_PORT,
      serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'isd-agent', level: fileConfig.logLevel });
  const renewedDir = fileConfig.renewedCredentialsDir;
  const agent = await startAgent({
    ...agentConfig,
    log: (level, message, fields) => logger[level](fields ?? {}, message),
    onCredentialsRenewed: (credentials) => {
      if (!renewedDir) return;
      mkdirSync(renewedDir, { recursive: true });
      // Write then rename so a crash never leaves a certificate without its key.
      for (const [name, pem] of [
        ['tls.key', credentials.keyPem],
        ['tls.crt', credentials.certPem],
      ] as const) {
        const target = path.join(renewedDir, name);
        writeFileSync(`${target}.tmp`, pem, { mode: 0o600 });
        renameSync(`${target}.tmp`, target);
      }
    },
  });
  logger.info(
    { agent: agent.agentName, controllers: fileConfig.controllers, healthUrl: agent.healthUrl },
    'agent started',
  );
  // Network errors never end the process; only a signal does.
  const shutdown = (): void => {
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void main();
