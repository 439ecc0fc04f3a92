// Reading a kubeconfig a user sent, and checking it against its cluster before anything is written:
// `GET /version`, then the namespaces the account names (or a namespace list) with the kubeconfig's
// own credentials. Only inline credentials are accepted — a file path, an exec plugin or an auth
// provider would have to exist in Clouddriver's pod and cannot be checked from here.
import { createHash } from 'node:crypto';
import { InputError, OutboundError, jsonOf, outboundRequest, type OutboundResponse, type OutboundTls } from '@isd/kit';
import { parse } from 'yaml';

/** The parts of a kubeconfig a check needs; `text` is the kubeconfig as sent. */
export interface ParsedKubeconfig {
  text: string;
  context: string;
  server: string;
  namespace: string | undefined;
  tls: OutboundTls;
  auth: { kind: 'token'; token: string } | { kind: 'client-certificate' };
}

/** What is kept and shown of a kubeconfig: no credential. */
export interface KubeconfigSummary {
  server: string;
  context: string;
  auth: 'token' | 'client-certificate';
  sha256: string;
}

type Json = Record<string, unknown>;

function refuse(path: string, message: string, code = 'kubeconfig_invalid'): never {
  throw new InputError(`${path}: ${message}`, { code, issues: [{ path, message }] });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function named(document: Json, list: 'clusters' | 'users' | 'contexts', name: string, field: string): Json {
  const entries = document[list];
  if (!Array.isArray(entries)) refuse(`kubeconfig.${list}`, 'missing or not a list');
  const index = entries.findIndex((entry) => isObject(entry) && entry.name === name);
  if (index < 0) refuse(field, `names ${JSON.stringify(name)}, which kubeconfig.${list} does not hold`);
  const entry = entries[index] as Json;
  const inner = entry[list.slice(0, -1)];
  if (!isObject(inner)) refuse(`kubeconfig.${list}.${index}`, `has no ${list.slice(0, -1)} object`);
  return inner;
}

function pemFromBase64(value: unknown, path: string, label: RegExp): string {
  if (typeof value !== 'string' || value === '') refuse(path, 'expected base64-encoded PEM');
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!label.test(text)) refuse(path, 'is not base64-encoded PEM of the expected kind');
  return text;
}

const FILE_FIELDS: Record<string, string> = {
  'certificate-authority': 'certificate-authority-data',
  'client-certificate': 'client-certificate-data',
  'client-key': 'client-key-data',
  tokenFile: 'token',
};

/** Parses a kubeconfig, picking `context` (or its current-context); 400 naming the field on anything unusable. */
export function parseKubeconfig(text: string, context?: string): ParsedKubeconfig {
  let document: unknown;
  try {
    document = parse(text, { maxAliasCount: 10 });
  } catch (error) {
    refuse('kubeconfig', `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isObject(document)) refuse('kubeconfig', 'expected a kubeconfig (a YAML mapping)');
  const contextName = context ?? document['current-context'];
  if (typeof contextName !== 'string' || contextName === '')
    refuse(
      context === undefined ? 'kubeconfig.current-context' : 'context',
      'no context to use: set context or current-context',
    );
  const contextEntry = named(
    document,
    'contexts',
    contextName,
    context === undefined ? 'kubeconfig.current-context' : 'context',
  );
  const clusterName = contextEntry.cluster;
  const userName = contextEntry.user;
  if (typeof clusterName !== 'string') refuse(`kubeconfig.contexts[${contextName}].cluster`, 'missing');
  if (typeof userName !== 'string') refuse(`kubeconfig.contexts[${contextName}].user`, 'missing');
  const cluster = named(document, 'clusters', clusterName, `kubeconfig.contexts[${contextName}].cluster`);
  const user = named(document, 'users', userName, `kubeconfig.contexts[${contextName}].user`);

  const server = cluster.server;
  if (typeof server !== 'string' || !/^https?:\/\//.test(server))
    refuse(`kubeconfig.clusters[${clusterName}].server`, 'expected an http(s) URL');
  // The server is kept and shown in answers, history and messages: it must not carry a credential.
  if (URL.canParse(server) && (new URL(server).username || new URL(server).password))
    refuse(
      `kubeconfig.clusters[${clusterName}].server`,
      'holds a user name or password; credentials go in users[].user (token or client certificate)',
    );
  for (const [field, inline] of Object.entries(FILE_FIELDS)) {
    const where = field === 'certificate-authority' ? cluster : user;
    if (where[field] !== undefined)
      refuse(
        `kubeconfig.${where === cluster ? `clusters[${clusterName}].cluster` : `users[${userName}].user`}.${field}`,
        `a file path cannot be checked or read by Clouddriver; put the content inline as ${inline}`,
      );
  }
  for (const field of ['exec', 'auth-provider', 'username', 'password'])
    if (user[field] !== undefined)
      refuse(
        `kubeconfig.users[${userName}].user.${field}`,
        'not supported: the kubeconfig must carry a token or an inline client certificate',
      );

  const tls: OutboundTls = {};
  if (cluster['certificate-authority-data'] !== undefined)
    tls.caPem = pemFromBase64(
      cluster['certificate-authority-data'],
      `kubeconfig.clusters[${clusterName}].cluster.certificate-authority-data`,
      /-----BEGIN CERTIFICATE-----/,
    );
  if (cluster['insecure-skip-tls-verify'] === true) tls.insecureSkipVerify = true;

  let auth: ParsedKubeconfig['auth'];
  if (typeof user.token === 'string' && user.token !== '') {
    auth = { kind: 'token', token: user.token };
  } else if (user['client-certificate-data'] !== undefined || user['client-key-data'] !== undefined) {
    tls.certPem = pemFromBase64(
      user['client-certificate-data'],
      `kubeconfig.users[${userName}].user.client-certificate-data`,
      /-----BEGIN CERTIFICATE-----/,
    );
    tls.keyPem = pemFromBase64(
      user['client-key-data'],
      `kubeconfig.users[${userName}].user.client-key-data`,
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    );
    auth = { kind: 'client-certificate' };
  } else refuse(`kubeconfig.users[${userName}].user`, 'has no credentials: expected token or client-certificate-data');
  const namespace = typeof contextEntry.namespace === 'string' ? contextEntry.namespace : undefined;
  return { text, context: contextName, server, namespace, tls, auth };
}

/** Where a kubeconfig points and how it authenticates, with a hash to tell versions apart. */
export function summarize(kubeconfig: ParsedKubeconfig): KubeconfigSummary {
  return {
    server: kubeconfig.server,
    context: kubeconfig.context,
    auth: kubeconfig.auth.kind,
    sha256: createHash('sha256').update(kubeconfig.text).digest('hex'),
  };
}

/** Outcome of a successful check. */
export interface ClusterCheck {
  gitVersion: string;
}

const MAX_ANSWER_BYTES = 1024 * 1024;
/** Namespaces checked one by one; beyond this the rest are trusted (a check must stay bounded). */
const MAX_CHECKED_NAMESPACES = 20;

function unusable(server: string, message: string, code: string): never {
  refuse('kubeconfig', `cannot use the cluster at ${server}: ${message}`, code);
}

/**
 * Checks the kubeconfig against its cluster: `/version` answers, and the credentials may read the named
 * namespaces (each must exist) or, without names, list namespaces. Refuses with a 400 naming the reason.
 */
export async function checkCluster(
  kubeconfig: ParsedKubeconfig,
  namespaces: string[],
  timeoutMs: number,
): Promise<ClusterCheck> {
  const headers: Record<string, string> = {};
  if (kubeconfig.auth.kind === 'token') headers.authorization = `Bearer ${kubeconfig.auth.token}`;
  const get = async (path: string, query?: Record<string, string>): Promise<OutboundResponse> => {
    try {
      return await outboundRequest({
        base: kubeconfig.server,
        path,
        query,
        headers,
        tls: kubeconfig.tls,
        timeoutMs,
        maxResponseBytes: MAX_ANSWER_BYTES,
        maxRedirects: 0,
      });
    } catch (error) {
      if (error instanceof OutboundError) {
        if (error.code === 'timeout')
          unusable(kubeconfig.server, `no answer within ${timeoutMs} ms`, 'cluster_unreachable');
        if (error.code === 'invalid_url' || error.code === 'outside_base')
          refuse(`kubeconfig.clusters.server`, error.message);
        unusable(kubeconfig.server, error.message, 'cluster_unreachable');
      }
      throw error;
    }
  };
  const refusedCredentials = (response: OutboundResponse, what: string): void => {
    if (response.status === 401)
      unusable(kubeconfig.server, `the credentials were refused (401) for ${what}`, 'cluster_credentials_refused');
    if (response.status === 403)
      unusable(kubeconfig.server, `the credentials may not ${what} (403)`, 'cluster_forbidden');
  };

  const version = await get('version');
  refusedCredentials(version, 'GET /version');
  const body = jsonOf(version);
  if (version.status !== 200 || !isObject(body) || typeof body.gitVersion !== 'string')
    unusable(
      kubeconfig.server,
      `GET /version answered ${version.status}, not a Kubernetes version`,
      'cluster_not_kubernetes',
    );

  if (namespaces.length === 0) {
    const list = await get('api/v1/namespaces', { limit: '1' });
    refusedCredentials(list, 'list namespaces');
    if (list.status !== 200)
      unusable(kubeconfig.server, `listing namespaces answered ${list.status}`, 'cluster_refused');
  } else {
    for (const namespace of namespaces.slice(0, MAX_CHECKED_NAMESPACES)) {
      const answer = await get(`api/v1/namespaces/${namespace}`);
      refusedCredentials(answer, `read namespace ${namespace}`);
      if (answer.status === 404)
        refuse(
          'namespaces',
          `namespace ${namespace} does not exist in the cluster at ${kubeconfig.server}`,
          'namespace_missing',
        );
      if (answer.status !== 200)
        unusable(kubeconfig.server, `reading namespace ${namespace} answered ${answer.status}`, 'cluster_refused');
    }
  }
  return { gitVersion: body.gitVersion };
}
