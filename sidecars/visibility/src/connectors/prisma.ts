// Prisma Cloud Compute: the latest scan of one image (`GET /api/v1/images?id=<imageId>&compact=true`):
// vulnerability and compliance counts by severity.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asArray, asNumber, asRecord, asString, basicAuth, fetchJson } from './http-json';

type PrismaRequest = Extract<EvidenceRequest, { connector: 'prismacloud' }>;

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

function distribution(value: unknown): Record<(typeof SEVERITIES)[number], number> {
  const record = asRecord(value);
  return Object.fromEntries(SEVERITIES.map((severity) => [severity, asNumber(record[severity]) ?? 0])) as Record<
    (typeof SEVERITIES)[number],
    number
  >;
}

/** Prisma Cloud image scan evidence: fail on critical or high vulnerabilities, or when the image was not scanned. */
export const prismaConnector: Connector<PrismaRequest> = async (request, context) => {
  const prisma = context.config.prismacloud;
  if (!prisma) throw notConfigured('Prisma Cloud Compute', 'prismacloud');
  const query = new URLSearchParams({ id: request.imageId, compact: 'true', limit: '1' });
  const body = await fetchJson(prisma.url, `api/v1/images?${query}`, {
    headers: prisma.token ? { authorization: `Bearer ${prisma.token}` } : basicAuth(prisma.user, prisma.password),
    signal: context.signal,
    maxResponseBytes: context.config.maxResponseBytes,
  });
  const scan = asArray(body).map(asRecord)[0];
  if (!scan)
    return {
      status: 'fail',
      summary: `image ${request.imageId} has no scan in Prisma Cloud`,
      data: { imageId: request.imageId, scanned: false, url: prisma.url },
    };
  const vulnerabilities = distribution(scan.vulnerabilityDistribution);
  const compliance = distribution(scan.complianceDistribution);
  const repoTag = asRecord(scan.repoTag);
  const image =
    asString(repoTag.repo) !== undefined
      ? `${asString(repoTag.registry) ? `${asString(repoTag.registry)}/` : ''}${asString(repoTag.repo)}:${asString(repoTag.tag) ?? ''}`
      : request.imageId;
  const severe = vulnerabilities.critical + vulnerabilities.high;
  return {
    status: severe > 0 ? 'fail' : vulnerabilities.medium > 0 ? 'warn' : 'pass',
    summary: `${image}: vulnerabilities ${SEVERITIES.map((severity) => `${vulnerabilities[severity]} ${severity}`).join(', ')}; compliance issues ${compliance.critical + compliance.high} critical/high`,
    data: {
      imageId: request.imageId,
      image,
      scanned: true,
      scanTime: asString(scan.scanTime) ?? null,
      vulnerabilities,
      compliance,
      url: prisma.url,
    },
  };
};
