// Mutual TLS on the Gate-only listener: Gate proves who it is with a client certificate (kork's OkHttp
// client presents `ok-http-client.key-store`), so X-SPINNAKER-USER is trusted there because of the
// certificate, not because a NetworkPolicy is assumed to be enforced.
import fs from 'node:fs';
import type https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { ConfigError } from './config';
import type { Logger } from './logger';

/** `server.gateTls`: the listener's certificate, and the CA (and optionally the names) Gate's certificate must have. */
export const gateTlsSchema = z.strictObject({
  certFile: z.string().min(1).describe("PEM certificate of the Gate-only listener (Gate's trust store holds its CA)"),
  keyFile: z.string().min(1).describe('PEM private key of that certificate'),
  clientCaFile: z
    .string()
    .min(1)
    .describe("PEM CA bundle that issued Gate's client certificate; a client without one from it cannot connect"),
  clientNames: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("Subject CNs or DNS names Gate's certificate may carry; absent = any certificate from clientCaFile"),
  reloadIntervalMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe(
      'How often the three files are re-read, so a renewed certificate (cert-manager) is used without a restart',
    ),
});

export type GateTlsConfig = z.infer<typeof gateTlsSchema>;

function readPem(config: GateTlsConfig, key: 'certFile' | 'keyFile' | 'clientCaFile'): string {
  try {
    return fs.readFileSync(config[key], 'utf8');
  } catch (error) {
    throw new ConfigError(`config: server.gateTls.${key}: cannot read ${config[key]}: ${(error as Error).message}`);
  }
}

/** The certificate, key and client CA, as Node's TLS options. */
function secureContextOptions(config: GateTlsConfig): { cert: string; key: string; ca: string } {
  return { cert: readPem(config, 'certFile'), key: readPem(config, 'keyFile'), ca: readPem(config, 'clientCaFile') };
}

/** Server options that require a client certificate issued by `clientCaFile` (the handshake fails otherwise). */
export function gateTlsServerOptions(config: GateTlsConfig): https.ServerOptions {
  return { ...secureContextOptions(config), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/** The subject CN and DNS subjectAltNames of the peer's certificate. */
function peerNames(socket: TLSSocket): string[] {
  const certificate = socket.getPeerCertificate();
  const names = typeof certificate.subject?.CN === 'string' ? [certificate.subject.CN] : [];
  for (const entry of (certificate.subjectaltname ?? '').split(', '))
    if (entry.startsWith('DNS:')) names.push(entry.slice(4));
  return names;
}

/**
 * Enforces `clientNames` after the handshake (a CA may issue certificates to others than Gate) and re-reads
 * the files every `reloadIntervalMs`, swapping the server's context when they changed. Returns a stop function.
 */
export function enforceGateTls(server: https.Server, config: GateTlsConfig, logger: Logger): () => void {
  if (config.clientNames) {
    const allowed = new Set(config.clientNames);
    server.on('secureConnection', (socket: TLSSocket) => {
      const names = peerNames(socket);
      if (!names.some((name) => allowed.has(name))) {
        logger.warn({ names }, 'Gate-only listener: client certificate is not one of server.gateTls.clientNames');
        socket.destroy();
      }
    });
  }
  let current = JSON.stringify(secureContextOptions(config));
  const timer = setInterval(() => {
    try {
      const options = secureContextOptions(config);
      const next = JSON.stringify(options);
      if (next === current) return;
      server.setSecureContext(options);
      current = next;
      logger.info('Gate-only listener: reloaded its certificate and client CA');
    } catch (error) {
      // A half-written renewal must not take the listener down: keep serving with the old context.
      logger.warn({ err: error }, 'Gate-only listener: could not reload its certificate; keeping the old one');
    }
  }, config.reloadIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
