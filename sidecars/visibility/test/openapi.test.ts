// The published contract: /openapi.json documents every approval route from the zod schemas.
import { asOrca, startVisibility } from './helpers';

jest.setTimeout(30_000);

it('publishes every approval route with its request and response schemas at /openapi.json', async () => {
  const service = await startVisibility('postgres');
  try {
    const document = (await asOrca(service.url, 'GET', '/openapi.json')).body;
    expect(document.openapi).toMatch(/^3\.1/);
    const paths = Object.keys(document.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/approvals',
        '/api/v1/approvals/{id}',
        '/api/v1/approvals/{id}/decisions',
        '/api/v1/approvals/{id}/cancel',
        '/api/v1/approvals/{id}/audit',
      ]),
    );
    const create = document.paths['/api/v1/approvals'].post;
    const text = JSON.stringify(create);
    for (const field of ['executionId', 'stageId', 'approverGroups', 'timeoutMs', 'evidence', 'autoDecision'])
      expect(text).toContain(field);
    expect(JSON.stringify(document.paths['/api/v1/approvals/{id}'].get)).toContain('canDecide');
    expect(JSON.stringify(document.paths['/api/v1/approvals/{id}/decisions'].post)).toContain('evidenceDigest');
  } finally {
    await service.cleanup();
  }
});
