// Process entry: the only file that reads process.env and argv. `--config FILE` or ISD_CONTROLLER_CONFIG_FILE;
// `--issue-control-token NAME` prints a control token signed with the configured (or kept) keys and exits.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@isd/kit';
import { loadControllerConfig, toControllerConfig } from './config';
import { startController } from './controller';
import { CONTROL_TOKEN_AUDIENCE } from './issuer';
import { signToken } from './jwt';
import { keptTokenKeys } from './persistent-state';
import { checkName } from './pki';

const BOOTSTRAP_TOKEN_FILE = 'bootstrap-control-token';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: { config: { type: 'string' }, 'issue-control-token': { type: 'string' } },
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: main.js [--config FILE] [--issue-control-token NAME]\n`);
    process.exit(2);
  }
  // The config-file variable shares the override prefix but is not a config key.
  const { ISD_CONTROLLER_CONFIG_FILE: fileFromEnv, ...env } = process.env;
  let controllerConfig;
  let logLevel;
  try {
    const fileConfig = loadControllerConfig(env, args.config ?? fileFromEnv);
    logLevel = fileConfig.logLevel;
    controllerConfig = toControllerConfig(fileConfig);
    if (args['issue-control-token'] !== undefined) {
      // Only existing keys: issuing must never create the keys a controller start would then not announce.
      const tokenKeys =
        controllerConfig.tokenKeys ?? (controllerConfig.dataDir ? keptTokenKeys(controllerConfig.dataDir) : undefined);
      if (!tokenKeys)
        throw new Error('config: no token keys yet: set tokenKeys, or the dataDir of a controller that has started');
      const token = await signToken(
        tokenKeys,
        { aud: CONTROL_TOKEN_AUDIENCE, n: checkName('issue-control-token', args['issue-control-token']) },
        fileConfig.tokenLifetimeMs,
      );
      process.stdout.write(`${token}\n`);
      return;
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'isd-controller', level: logLevel });
  let controller: Awaited<ReturnType<typeof startController>>;
  try {
    controller = await startController({ ...controllerConfig, logger });
  } catch (error) {
    // An unreachable database (or a port in use) is one line, not a stack trace.
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  if (controller.bootstrapControlToken) {
    // Printed once, before the start line (scripts read it from there): this start made the token keys,
    // so no other way into the control API exists yet. The token is also kept beside the keys (as secret
    // as they are) for whoever missed this output.
    const kept = controllerConfig.dataDir ? path.join(controllerConfig.dataDir, BOOTSTRAP_TOKEN_FILE) : undefined;
    if (kept) fs.writeFileSync(kept, `${controller.bootstrapControlToken}\n`, { mode: 0o600 });
    process.stdout.write(
      [
        '',
        'Bootstrap control token (shown once; use it to issue other credentials, e.g.',
        `  curl --cacert ca.crt -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
        `       -d '{"agentName":"my-cluster"}' ${controller.controlUrl}/api/v1/generateAgentManifestComponents):`,
        `  ${controller.bootstrapControlToken}`,
        ...(kept ? [`(also kept in ${kept})`] : []),
        '',
      ].join('\n') + '\n',
    );
  }
  logger.info(
    {
      agentUrl: controller.agentUrl,
      serviceUrl: controller.serviceUrl,
      controlUrl: controller.controlUrl,
      metricsUrl: controller.metricsUrl,
      dataDir: controllerConfig.dataDir,
    },
    'controller started',
  );
  if (!controllerConfig.dataDir && !(controllerConfig.ca && controllerConfig.tokenKeys))
    logger.warn(
      'no dataDir: the CA and token keys live in memory only, so after a restart every agent and credential must be issued again',
    );
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'draining');
    controller.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

void main();
