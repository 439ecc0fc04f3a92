// Artifactory: one artifact's file info (`GET /api/storage/{repoKey}/{path}`): who deployed it when, and
// its checksums; with `sha256` in the payload, the card says whether the stored artifact is that one.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { ConnectorError, asNumber, asRecord, asString, fetchJson } from './http-json';

type ArtifactoryRequest = Extract<EvidenceRequest, { connector: 'artifactory' }>;

/** Artifactory artifact evidence. */
export const artifactoryConnector: Connector<ArtifactoryRequest> = async (request, context) => {
  const artifactory = context.config.artifactory;
  if (!artifactory) throw notConfigured('Artifactory', 'artifactory');
  const path = [request.repository, ...request.path.split('/')].map(encodeURIComponent).join('/');
  const name = `${request.repository}/${request.path}`;
  let body: Record<string, unknown>;
  try {
    body = asRecord(
      await fetchJson(artifactory.url, `api/storage/${path}`, {
        headers: artifactory.token ? { authorization: `Bearer ${artifactory.token}` } : {},
        signal: context.signal,
        maxResponseBytes: context.config.maxResponseBytes,
      }),
    );
  } catch (error) {
    // A missing artifact is evidence (it was never deployed or was deleted), not a connector failure.
    if (error instanceof ConnectorError && error.status === 404)
      return { status: 'fail', summary: `${name} not found`, data: { artifact: name, found: false } };
    throw error;
  }
  const checksums = asRecord(body.checksums);
  const sha256 = asString(checksums.sha256) ?? null;
  const matches = request.sha256 ? sha256 === request.sha256.toLowerCase() : null;
  const createdBy = asString(body.createdBy) ?? 'unknown';
  const created = asString(body.created) ?? 'unknown';
  return {
    status: matches === null ? 'info' : matches ? 'pass' : 'fail',
    summary: `${name} deployed by ${createdBy} at ${created}${matches === null ? '' : matches ? ', sha256 matches' : `, sha256 ${sha256 ?? 'missing'} is not the expected ${request.sha256}`}`,
    data: {
      artifact: name,
      found: true,
      createdBy,
      created,
      size: asNumber(body.size) ?? (asString(body.size) ? Number(asString(body.size)) : null),
      sha256,
      expectedSha256: request.sha256 ?? null,
      url: asString(body.downloadUri) ?? null,
    },
  };
};
