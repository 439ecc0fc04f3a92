import pino from 'pino';

/** The one logger type every package uses (pino). */
export type Logger = pino.Logger;

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
const redactedKeys = [
  'password',
  'token',
  'secret',
  'authorization',
  'apiKey',
  'applicationKey',
  'privateKey',
  'keyPem',
  'serviceToken',
  'gateToken',
  'cookie',
];

const redactPaths = [
  ...redactedKeys,
  ...redactedKeys.map((key) => `*.${key}`),
  ...redactedKeys.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-isd-service-token"]',
  'req.headers["x-isd-gate-token"]',
];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Service or module name, put on every line. */
  name: string;
  level?: string;
  /** Human-readable output instead of JSON; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream;
}

/** A JSON logger with secrets redacted; pretty when a person is watching a terminal. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const base: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(base);
}
