// Process entry: the only file that reads process.env and argv. `--config FILE` or ISD_CONTROLLER_CONFIG_FILE.
import { createLogger } from '@isd/kit';
import { loadControllerConfig, toControllerConfig } from './config';
import { startController } from './controller';

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--config');
  // The config-file variable shares the override prefix but is not a config key.
  const { ISD_CONTROLLER_CONFIG_FILE: fileFromEnv, ...env } = process.env;
  const file = flag >= 0 ? process.argv[flag + 1] : fileFromEnv;
  let fileConfig;
  try {
    fileConfig = loadControllerConfig(env, file);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'isd-controller', level: fileConfig.logLevel });
  const controller = await startController({
    ...toControllerConfig(fileConfig),
    log: (level, message, fields) => logger[level](fields ?? {}, message),
  });
  logger.info(
    {
      agentUrl: controller.agentUrl,
      serviceUrl: controller.serviceUrl,
      controlUrl: controller.controlUrl,
      metricsUrl: controller.metricsUrl,
    },
    'controller started',
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
