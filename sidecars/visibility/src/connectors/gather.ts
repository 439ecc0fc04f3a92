// Runs every requested connector in parallel, each under its own timeout; a failure becomes an error
// card and never blocks the gate.
import { storable } from '@isd/kit';
import type { EvidenceRequest } from '../api/schemas';
import type { VisibilityConfig } from '../config';
import type { EvidenceCard } from '../domain/model';
import type { Connector, ConnectorContext } from './connector';
import { appscanConnector } from './appscan';
import { aquaConnector } from './aqua';
import { artifactoryConnector } from './artifactory';
import { bambooConnector } from './bamboo';
import { gitConnector } from './git';
import { genericHttpConnector } from './generic-http';
import { jenkinsConnector } from './jenkins';
import { jiraConnector } from './jira';
import { prismaConnector } from './prisma';
import { servicenowConnector } from './servicenow';
import { sonarqubeConnector } from './sonarqube';
import { verificationConnector } from './verification';
import { xrayConnector } from './xray';

const connectors: { [Kind in EvidenceRequest['connector']]: Connector<Extract<EvidenceRequest, { connector: Kind }>> } =
  {
    jenkins: jenkinsConnector,
    bamboo: bambooConnector,
    artifactory: artifactoryConnector,
    xray: xrayConnector,
    prismacloud: prismaConnector,
    appscan: appscanConnector,
    aqua: aquaConnector,
    git: gitConnector,
    jira: jiraConnector,
    sonarqube: sonarqubeConnector,
    servicenow: servicenowConnector,
    verification: verificationConnector,
    http: genericHttpConnector,
  };

/** Gathers one card per request, in request order. */
export async function gatherEvidence(
  requests: readonly EvidenceRequest[],
  config: VisibilityConfig['connectors'],
  now: () => Date = () => new Date(),
): Promise<EvidenceCard[]> {
  // Cards quote peers (their JSON, the start of an error body): a NUL or lone surrogate in them would make
  // the approval's evidence write fail, so the approval would never get its evidence.
  return (await Promise.all(requests.map((request) => runConnector(request, config, now)))).map(storable);
}

async function runConnector(
  request: EvidenceRequest,
  config: VisibilityConfig['connectors'],
  now: () => Date,
): Promise<EvidenceCard> {
  const started = performance.now();
  const fetchedAt = now().toISOString();
  const controller = new AbortController();
  const context: ConnectorContext = { config, signal: controller.signal, now };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${config.timeoutMs} ms`));
    }, config.timeoutMs);
  });
  const label = request.connector === 'http' ? request.label : undefined;
  try {
    const connector = connectors[request.connector] as Connector;
    const finding = await Promise.race([connector(request, context), timeout]);
    return { connector: request.connector, ...finding, fetchedAt, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const message = controller.signal.aborted ? `timed out after ${config.timeoutMs} ms` : (error as Error).message;
    return {
      connector: request.connector,
      ...(label ? { label } : {}),
      status: 'error',
      summary: `${request.connector} evidence could not be gathered`,
      error: message,
      data: {},
      fetchedAt,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}
