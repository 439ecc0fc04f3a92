// Aqua Security: the latest scan result of one image in one registry known to Aqua
// (`GET /api/v1/scanner/registry/{registry}/image/{repository}:{tag}/scan_result`): vulnerabilities by
// severity and whether Aqua's image assurance policy disallows the image.
import { createHmac } from 'node:crypto';
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector, type ConnectorContext } from './connector';
import { asNumber, asRecord, asString, basicAuth, ConnectorError, fetchJson, joinUrl } from './http-json';

type AquaRequest = Extract<EvidenceRequest, { connector: 'aqua' }>;

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const;
type Counts = Record<(typeof SEVERITIES)[number], number>;

/**
 * Counts by severity. Aqua 4 and later report them in `vulnerability_summary`; earlier servers (and Aqua's
 * scan-result example) in `cves_counts`, which has no `critical`.
 */
function vulnerabilityCounts(scan: Record<string, unknown>): Counts {
  const summary = asRecord(scan.vulnerability_summary ?? scan.cves_counts);
  return Object.fromEntries(SEVERITIES.map((severity) => [severity, asNumber(summary[severity]) ?? 0])) as Counts;
}

/** Names of the assurance policies that failed, when Aqua lists them. */
function policyFailures(scan: Record<string, unknown>): string[] {
  const results = asRecord(scan.image_assurance_results);
  const failures = Array.isArray(results.policy_failures) ? results.policy_failures : [];
  return failures.flatMap((failure) => {
    const name = asString(asRecord(failure).policy_name);
    return name ? [name] : [];
  });
}

/** When the scan started: Aqua gives a protobuf timestamp (`{seconds, nanos}`) or, on older servers, a string. */
function scanTime(value: unknown): string | null {
  const seconds = asNumber(asRecord(value).seconds);
  if (seconds !== undefined) return new Date(seconds * 1000).toISOString();
  return asString(value) ?? null;
}

/** The scan-result path: the registry name is one segment; the repository keeps its slashes. */
function scanResultPath(request: AquaRequest): string {
  const [repository, tag] = splitImage(request.image);
  const repositoryPath = repository.split('/').map(encodeURIComponent).join('/');
  return `api/v1/scanner/registry/${encodeURIComponent(request.registry)}/image/${repositoryPath}:${encodeURIComponent(tag)}/scan_result`;
}

function splitImage(image: string): [string, string] {
  const colon = image.lastIndexOf(':');
  return [image.slice(0, colon), image.slice(colon + 1)];
}

/** What Aqua's token service is asked for: a short-lived token that may only read. */
const TOKEN_REQUEST = { validity: 5, allowed_endpoints: ['GET'] };

/**
 * The Authorization header from config: an API token, Aqua SaaS's API key (a token from `POST /v2/tokens`
 * on the regional token service, the request signed with HMAC-SHA256 over timestamp + method + path + body),
 * or a user and password.
 */
async function authorization(
  aqua: NonNullable<ConnectorContext['config']['aqua']>,
  context: ConnectorContext,
): Promise<Record<string, string>> {
  if (aqua.token) return { authorization: `Bearer ${aqua.token}` };
  if (aqua.apiKey && aqua.apiSecret) {
    const timestamp = String(Math.floor(context.now().getTime() / 1000));
    const signature = createHmac('sha256', aqua.apiSecret)
      .update(`${timestamp}POST/v2/tokens${JSON.stringify(TOKEN_REQUEST)}`)
      .digest('hex');
    const answer = asRecord(
      await fetchJson(aqua.authUrl, 'v2/tokens', {
        method: 'POST',
        body: TOKEN_REQUEST,
        headers: { 'x-api-key': aqua.apiKey, 'x-timestamp': timestamp, 'x-signature': signature },
        signal: context.signal,
        maxResponseBytes: context.config.maxResponseBytes,
      }),
    );
    const token = asString(answer.data);
    if (!token)
      throw new ConnectorError(`the Aqua token service answered no token (${asString(answer.message) ?? 'no data'})`);
    return { authorization: `Bearer ${token}` };
  }
  return basicAuth(aqua.user, aqua.password);
}

/**
 * Aqua image evidence: fail when the image assurance policy disallows the image, on critical or high
 * vulnerabilities or malware, or when Aqua has no scan of it; warn on medium ones or sensitive data.
 */
export const aquaConnector: Connector<AquaRequest> = async (request, context) => {
  const aqua = context.config.aqua;
  if (!aqua) throw notConfigured('Aqua', 'aqua');
  const path = scanResultPath(request);
  const name = `${request.registry}/${request.image}`;
  const headers = await authorization(aqua, context);
  let scan: Record<string, unknown>;
  try {
    scan = asRecord(
      await fetchJson(aqua.url, path, {
        headers,
        signal: context.signal,
        maxResponseBytes: context.config.maxResponseBytes,
      }),
    );
  } catch (error) {
    // Aqua answers 404 for an image it has not registered (so never scanned): evidence, not an outage.
    if (error instanceof ConnectorError && error.status === 404)
      return {
        status: 'fail',
        summary: `${name} has no scan in Aqua`,
        data: { registry: request.registry, image: request.image, scanned: false, url: aqua.url },
      };
    throw error;
  }
  const vulnerabilities = vulnerabilityCounts(scan);
  const assurance = asRecord(scan.image_assurance_results);
  const disallowed = assurance.disallowed === true || scan.disallowed === true;
  const policies = policyFailures(scan);
  const severe = vulnerabilities.critical + vulnerabilities.high;
  // Aqua counts malware and sensitive data (keys, passwords) found in the image beside the CVEs.
  const summary = asRecord(scan.vulnerability_summary);
  const malware = asNumber(summary.malware) ?? 0;
  const sensitive = asNumber(summary.sensitive) ?? 0;
  const findings = [malware ? `${malware} malware` : '', sensitive ? `${sensitive} sensitive data` : '']
    .filter(Boolean)
    .join(', ');
  const counts = SEVERITIES.slice(0, 4)
    .map((severity) => `${vulnerabilities[severity]} ${severity}`)
    .join(', ');
  const verdict = disallowed
    ? `; disallowed by image assurance${policies.length > 0 ? ` (${policies.join(', ')})` : ''}`
    : '';
  return {
    status:
      disallowed || severe > 0 || malware > 0 ? 'fail' : vulnerabilities.medium > 0 || sensitive > 0 ? 'warn' : 'pass',
    summary: `${name}: vulnerabilities ${counts}${findings ? `; ${findings}` : ''}${verdict}`,
    data: {
      registry: request.registry,
      image: request.image,
      scanned: true,
      digest: asString(scan.digest) ?? null,
      scanTime: scanTime(scan.scan_started ?? scan.scan_date),
      disallowed,
      policyFailures: policies,
      vulnerabilities,
      malware,
      sensitive,
      // The result this card was read from, and the console that shows it.
      source: joinUrl(aqua.url, path),
      url: aqua.url,
    },
  };
};
