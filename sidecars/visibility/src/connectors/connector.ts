// The evidence connector contract and the runner that gives each connector its own timeout.
import type { EvidenceRequest } from '../api/schemas';
import type { VisibilityConfig } from '../config';
import type { EvidenceCard } from '../domain/model';
import { ConnectorError } from './http-json';

/** What a connector returns; the runner adds connector name, time and duration. */
export type ConnectorFinding = Pick<EvidenceCard, 'status' | 'summary' | 'data'> & { label?: string };

/** What a connector gets besides its request: its config section, a deadline signal, a size cap. */
export interface ConnectorContext {
  config: VisibilityConfig['connectors'];
  signal: AbortSignal;
  /** The gate's clock, for evidence that depends on time (a change window). */
  now: () => Date;
}

/** Gathers one kind of evidence. */
export type Connector<Request extends EvidenceRequest = EvidenceRequest> = (
  request: Request,
  context: ConnectorContext,
) => Promise<ConnectorFinding>;

/** A connector that is not configured: shown as an error card, never a silent pass. */
export function notConfigured(connector: string, key: string): ConnectorError {
  return new ConnectorError(`the ${connector} connector is not configured (connectors.${key})`);
}
