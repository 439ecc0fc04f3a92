// Connector contract tests: each connector against a local server answering with the real API's
// response shape (fixtures), checking the request it makes (path, query, credentials from config).
import { createHmac } from 'node:crypto';
import { visibilityConfigSchema } from '../src/config';
import { gatherEvidence } from '../src/connectors/gather';
import { fixture, startPeer } from './fake-peer';

jest.setTimeout(30_000);

function connectorsConfig(connectors: Record<string, unknown>) {
  return visibilityConfigSchema.parse({
    auth: { serviceToken: 'service-token-0123456789', gateToken: 'gate-token-0123456789' },
    connectors: { timeoutMs: 2_000, ...connectors },
  }).connectors;
}

describe('evidence connectors', () => {
  it('reads an HCL AppScan scan after logging in with the API key from config', async () => {
    const scanId = '5f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8';
    const scan = fixture('appscan-scan.json') as { LatestExecution: Record<string, unknown> };
    let answer: unknown = scan;
    const peer = await startPeer({
      'POST /api/v2/Account/ApiKeyLogin': {
        handle: (request) =>
          JSON.parse(request.body).KeySecret === 'key-secret'
            ? { status: 200, body: { Token: 'asoc-session', Expire: '2026-12-06T13:00:00Z' } }
            : { status: 401, body: { Message: 'Invalid key' } },
      },
      [`GET /api/v2/Scans/${scanId}`]: { handle: () => ({ status: 200, body: answer }) },
    });
    const config = connectorsConfig({ appscan: { url: peer.url, keyId: 'key-id', keySecret: 'key-secret' } });
    const request = [{ connector: 'appscan' as const, scanId }];
    try {
      const [card] = await gatherEvidence(request, config);
      expect(card).toMatchObject({
        status: 'fail',
        summary: 'shop nightly SAST: 0 critical, 1 high, 4 medium, 7 low issues',
        data: {
          issues: { critical: 0, high: 1, medium: 4, low: 7 },
          url: `${peer.url}/main/myapps/0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f/scans/${scanId}/scanOverview`,
        },
      });
      expect(JSON.parse(peer.requests[0]?.body ?? '{}')).toEqual({ KeyId: 'key-id', KeySecret: 'key-secret' });
      expect(peer.requests[1]?.headers.authorization).toBe('Bearer asoc-session');

      answer = { ...scan, LatestExecution: { ...scan.LatestExecution, ExecutionProgress: 'Running' } };
      const [running] = await gatherEvidence(request, config);
      expect([running?.status, running?.summary]).toEqual(['warn', 'shop nightly SAST: scan Running']);

      const wrongKey = connectorsConfig({ appscan: { url: peer.url, keyId: 'key-id', keySecret: 'nope' } });
      const [refused] = await gatherEvidence(request, wrongKey);
      expect([refused?.status, refused?.error]).toEqual(['error', expect.stringContaining('401')]);
    } finally {
      await peer.close();
    }
  });

  it('reads the Aqua scan result of an image in a registry; disallowed or unscanned images fail', async () => {
    let answer: { status: number; body: unknown } = { status: 200, body: fixture('aqua-scan-result.json') };
    // The kit's outbound client percent-encodes each path segment (":" as %3A), which servers decode.
    const sent = '/api/v1/scanner/registry/Harbor%20Prod/image/acme/shop%3A1.5.0/scan_result';
    const peer = await startPeer({ [`GET ${sent}`]: { handle: () => answer } });
    const config = connectorsConfig({ aqua: { url: peer.url, token: 'aqua-api-token' } });
    const request = [{ connector: 'aqua' as const, registry: 'Harbor Prod', image: 'acme/shop:1.5.0' }];
    try {
      const [card] = await gatherEvidence(request, config);
      expect(card).toMatchObject({
        status: 'fail',
        summary:
          'Harbor Prod/acme/shop:1.5.0: vulnerabilities 1 critical, 3 high, 11 medium, 17 low; disallowed by image assurance (Production images)',
        data: {
          scanned: true,
          disallowed: true,
          scanTime: '2026-12-06T09:12:44.000Z',
          vulnerabilities: { critical: 1, high: 3, medium: 11, low: 17, negligible: 2 },
          source: `${peer.url}/api/v1/scanner/registry/Harbor%20Prod/image/acme/shop:1.5.0/scan_result`,
          url: peer.url,
        },
      });
      expect(peer.requests[0]?.headers.authorization).toBe('Bearer aqua-api-token');

      // An older server's shape (cves_counts, top-level disallowed): medium findings only warn.
      answer = { status: 200, body: fixture('aqua-scan-result-v1.json') };
      const [older] = await gatherEvidence(request, config);
      expect([older?.status, older?.summary]).toEqual([
        'warn',
        'Harbor Prod/acme/shop:1.5.0: vulnerabilities 0 critical, 0 high, 5 medium, 5 low',
      ]);

      // Malware alone fails an image whose CVEs would pass; sensitive data (keys in the image) warns.
      const clean = { ...(fixture('aqua-scan-result.json') as Record<string, unknown>), image_assurance_results: {} };
      const summary = { total: 2, critical: 0, high: 0, medium: 0, low: 2, negligible: 0 };
      answer = { status: 200, body: { ...clean, vulnerability_summary: { ...summary, malware: 1 } } };
      const [infected] = await gatherEvidence(request, config);
      expect([infected?.status, infected?.summary]).toEqual([
        'fail',
        'Harbor Prod/acme/shop:1.5.0: vulnerabilities 0 critical, 0 high, 0 medium, 2 low; 1 malware',
      ]);
      answer = { status: 200, body: { ...clean, vulnerability_summary: { ...summary, sensitive: 2 } } };
      expect((await gatherEvidence(request, config))[0]?.status).toBe('warn');
      answer = { status: 200, body: { ...clean, vulnerability_summary: summary } };
      expect((await gatherEvidence(request, config))[0]?.status).toBe('pass');

      answer = { status: 404, body: { message: 'image not found' } };
      const [unscanned] = await gatherEvidence(request, config);
      expect([unscanned?.status, unscanned?.summary]).toEqual([
        'fail',
        'Harbor Prod/acme/shop:1.5.0 has no scan in Aqua',
      ]);

      // Wrong credentials are an outage of the evidence (error card naming the answer), never a pass.
      answer = { status: 401, body: { message: 'Unauthorized' } };
      const [denied] = await gatherEvidence(request, config);
      expect(denied?.status).toBe('error');
      expect(denied?.error).toContain('401');
    } finally {
      await peer.close();
    }
  });

  it('sends Aqua basic auth from config when no token is configured', async () => {
    const peer = await startPeer({
      'GET /api/v1/scanner/registry/Docker%20Hub/image/library/nginx%3A1.27/scan_result': {
        body: fixture('aqua-scan-result-v1.json'),
      },
    });
    const config = connectorsConfig({ aqua: { url: peer.url, user: 'scanner', password: 's3cret' } });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'aqua', registry: 'Docker Hub', image: 'library/nginx:1.27' }],
        config,
      );
      expect(card?.status).toBe('warn');
      expect(peer.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('scanner:s3cret').toString('base64')}`);
    } finally {
      await peer.close();
    }
  });

  it('gets an Aqua SaaS token with the HMAC-signed API key request, then reads the scan with it', async () => {
    const apiSecret = 'aqua-api-secret';
    const auth = await startPeer({
      'POST /v2/tokens': {
        handle: (request) => {
          // Aqua's scheme: HMAC-SHA256(secret, timestamp + method + path + body), hex.
          const timestamp = String(request.headers['x-timestamp']);
          const expected = createHmac('sha256', apiSecret)
            .update(`${timestamp}POST/v2/tokens${request.body}`)
            .digest('hex');
          const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 60;
          return request.headers['x-api-key'] === 'aqua-key' && request.headers['x-signature'] === expected && fresh
            ? { status: 200, body: { status: 200, code: 0, data: 'saas-token' } }
            : { status: 401, body: { status: 401, message: 'invalid signature' } };
        },
      },
    });
    const api = await startPeer({
      'GET /api/v1/scanner/registry/Docker%20Hub/image/library/nginx%3A1.27/scan_result': {
        handle: (request) =>
          request.headers.authorization === 'Bearer saas-token'
            ? { status: 200, body: fixture('aqua-scan-result-v1.json') }
            : { status: 401, body: { message: 'Unauthorized' } },
      },
    });
    const request = [{ connector: 'aqua' as const, registry: 'Docker Hub', image: 'library/nginx:1.27' }];
    try {
      const config = connectorsConfig({ aqua: { url: api.url, authUrl: auth.url, apiKey: 'aqua-key', apiSecret } });
      const [card] = await gatherEvidence(request, config);
      expect([card?.status, card?.error]).toEqual(['warn', undefined]);
      expect(JSON.parse(auth.requests[0]!.body)).toEqual({ validity: 5, allowed_endpoints: ['GET'] });
      // A wrong secret is refused by the token service: an error card, never a pass.
      const wrong = connectorsConfig({
        aqua: { url: api.url, authUrl: auth.url, apiKey: 'aqua-key', apiSecret: 'not-the-secret' },
      });
      const [refused] = await gatherEvidence(request, wrong);
      expect(refused?.status).toBe('error');
      expect(refused?.error).toContain('401');
    } finally {
      await Promise.all([auth.close(), api.close()]);
    }
  });

  it('refuses Aqua credentials given by halves, naming the missing key', () => {
    for (const [aqua, key] of [
      [{ url: 'https://aqua.example.com', user: 'scanner' }, 'password'],
      [{ url: 'https://aqua.example.com', apiSecret: 's' }, 'apiKey'],
      [{ url: 'https://aqua.example.com' }, 'token'],
    ] as const) {
      const parsed = visibilityConfigSchema.safeParse({
        auth: { serviceToken: 'service-token-0123456789', gateToken: 'gate-token-0123456789' },
        connectors: { aqua },
      });
      expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual([`connectors.aqua.${key}`]);
    }
  });

  it('reads the Prisma Cloud Compute scan of an image by id; no scan fails', async () => {
    const scans = fixture('prisma-images.json') as Array<Record<string, unknown>>;
    let answer: unknown = scans;
    const peer = await startPeer({ 'GET /api/v1/images': { handle: () => ({ status: 200, body: answer }) } });
    const imageId = 'sha256:4a5e3f2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f';
    const config = connectorsConfig({ prismacloud: { url: peer.url, user: 'access-key', password: 'secret-key' } });
    const request = [{ connector: 'prismacloud' as const, imageId }];
    try {
      const [card] = await gatherEvidence(request, config);
      expect(card).toMatchObject({
        status: 'fail',
        summary:
          'registry.example.com/acme/shop:1.5.0: vulnerabilities 0 critical, 2 high, 9 medium, 20 low; compliance issues 1 critical/high',
        data: { scanned: true, vulnerabilities: { critical: 0, high: 2, medium: 9, low: 20 } },
      });
      const sent = new URL(peer.requests[0]?.url ?? '', peer.url);
      expect([sent.searchParams.get('id'), sent.searchParams.get('compact')]).toEqual([imageId, 'true']);
      expect(peer.requests[0]?.headers.authorization).toBe(
        `Basic ${Buffer.from('access-key:secret-key').toString('base64')}`,
      );
      answer = [{ ...scans[0], vulnerabilityDistribution: { critical: 0, high: 0, medium: 0, low: 3, total: 3 } }];
      expect((await gatherEvidence(request, config))[0]?.status).toBe('pass');
      answer = [];
      const [none] = await gatherEvidence(request, config);
      expect([none?.status, none?.summary]).toEqual(['fail', `image ${imageId} has no scan in Prisma Cloud`]);
    } finally {
      await peer.close();
    }
  });

  it('reads JFrog Xray issues of an artifact by severity; an unscanned artifact fails', async () => {
    const summary = fixture('xray-artifact-summary.json') as { artifacts: Array<{ issues: unknown[] }> };
    let answer: unknown = summary;
    const peer = await startPeer({
      'POST /xray/api/v1/summary/artifact': { handle: () => ({ status: 200, body: answer }) },
    });
    const config = connectorsConfig({ xray: { url: peer.url, token: 'jf-token' } });
    const request = [
      { connector: 'xray' as const, repository: 'libs-release-local', path: 'shop/1.5.0/shop-1.5.0.jar' },
    ];
    try {
      const [card] = await gatherEvidence(request, config);
      expect(card).toMatchObject({
        status: 'fail',
        summary: 'libs-release-local/shop/1.5.0/shop-1.5.0.jar: 2 issues (1 High, 1 Medium)',
        data: {
          issues: { critical: 0, high: 1, medium: 1, low: 0, unknown: 0 },
          top: [{ id: 'XRAY-529193', severity: 'High', cves: ['CVE-2020-36518'] }],
          url: `${peer.url}/ui/repos/tree/General/libs-release-local/shop/1.5.0/shop-1.5.0.jar`,
        },
      });
      expect(JSON.parse(peer.requests[0]?.body ?? '{}')).toEqual({
        paths: ['default/libs-release-local/shop/1.5.0/shop-1.5.0.jar'],
      });
      expect(peer.requests[0]?.headers.authorization).toBe('Bearer jf-token');

      answer = { artifacts: [{ ...summary.artifacts[0], issues: [] }], errors: [] };
      expect((await gatherEvidence(request, config))[0]?.status).toBe('pass');

      answer = {
        artifacts: [],
        errors: [
          {
            identifier: 'default/libs-release-local/shop/1.5.0/shop-1.5.0.jar',
            error: "Artifact doesn't exist or not indexed/cached in Xray",
          },
        ],
      };
      const [unscanned] = await gatherEvidence(request, config);
      expect([unscanned?.status, unscanned?.summary]).toEqual([
        'fail',
        "libs-release-local/shop/1.5.0/shop-1.5.0.jar not scanned by Xray: Artifact doesn't exist or not indexed/cached in Xray",
      ]);
    } finally {
      await peer.close();
    }
  });

  it('lists Bitbucket Cloud commits between two refs with authors and PR links, token from config', async () => {
    const peer = await startPeer({
      'GET /2.0/repositories/acme/shop/commits': { body: fixture('bitbucket-cloud-commits.json') },
    });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'git', provider: 'bitbucket', repository: 'acme/shop', base: 'v1.4.0', head: 'v1.5.0' }],
        connectorsConfig({ bitbucket: { apiUrl: peer.url, token: 'bb-token' } }),
      );
      expect(card?.summary).toBe('acme/shop v1.4.0…v1.5.0: 2+ commits by 2 authors, 1 PR');
      expect(card?.data).toMatchObject({
        authors: ['Sam Ortiz', 'dana <dana@example.com>'],
        pullRequests: [{ number: 42, url: 'https://bitbucket.org/acme/shop/pull-requests/42' }],
      });
      const sent = new URL(peer.requests[0]?.url ?? '', peer.url);
      expect([sent.searchParams.get('include'), sent.searchParams.get('exclude')]).toEqual(['v1.5.0', 'v1.4.0']);
      expect(peer.requests[0]?.headers.authorization).toBe('Bearer bb-token');
    } finally {
      await peer.close();
    }
  });

  it('lists Bitbucket Server commits since..until with authors, PR and compare links, basic auth from config', async () => {
    const peer = await startPeer({
      'GET /rest/api/1.0/projects/SHOP/repos/web/commits': { body: fixture('bitbucket-server-commits.json') },
    });
    try {
      const [card] = await gatherEvidence(
        [
          {
            connector: 'git',
            provider: 'bitbucket-server',
            repository: 'SHOP/web',
            base: 'release/1.4',
            head: 'master',
          },
        ],
        connectorsConfig({ bitbucketServer: { url: peer.url, user: 'isd', password: 'bbs-secret' } }),
      );
      expect(card?.summary).toBe('SHOP/web release/1.4…master: 2 commits by 2 authors, 1 PR');
      expect(card?.data).toMatchObject({
        authors: ['Sam Ortiz', 'dlee'],
        pullRequests: [{ number: 7, url: `${peer.url}/projects/SHOP/repos/web/pull-requests/7` }],
        url: `${peer.url}/projects/SHOP/repos/web/compare/commits?sourceBranch=master&targetBranch=release%2F1.4`,
      });
      const sent = new URL(peer.requests[0]?.url ?? '', peer.url);
      expect([sent.searchParams.get('since'), sent.searchParams.get('until')]).toEqual(['release/1.4', 'master']);
      expect(peer.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('isd:bbs-secret').toString('base64')}`);
    } finally {
      await peer.close();
    }
  });

  it('reads an Artifactory artifact: deployer, checksum match, and a missing artifact as a failed check', async () => {
    const peer = await startPeer({
      'GET /artifactory/api/storage/libs-release-local/shop/1.5.0/shop-1.5.0.jar': {
        body: fixture('artifactory-file-info.json'),
      },
      'GET /artifactory/api/storage/libs-release-local/shop/9.9.9/shop-9.9.9.jar': {
        status: 404,
        body: { errors: [{ status: 404, message: 'Unable to find item' }] },
      },
    });
    const config = connectorsConfig({ artifactory: { url: `${peer.url}/artifactory`, token: 'art-token' } });
    const sha = 'a3f5c1d2e4b6a8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8';
    const path = 'shop/1.5.0/shop-1.5.0.jar';
    try {
      const [matching, other, plain, missing] = await gatherEvidence(
        [
          { connector: 'artifactory', repository: 'libs-release-local', path, sha256: sha.toUpperCase() },
          { connector: 'artifactory', repository: 'libs-release-local', path, sha256: '0'.repeat(64) },
          { connector: 'artifactory', repository: 'libs-release-local', path },
          { connector: 'artifactory', repository: 'libs-release-local', path: 'shop/9.9.9/shop-9.9.9.jar' },
        ],
        config,
      );
      expect(matching).toMatchObject({
        status: 'pass',
        summary: `libs-release-local/${path} deployed by ci-bot at 2026-12-06T09:04:40.000Z, sha256 matches`,
        data: { size: 1048576, sha256: sha, url: expect.stringContaining('/libs-release-local/shop/1.5.0/') },
      });
      expect([other?.status, other?.summary]).toEqual(['fail', expect.stringContaining('is not the expected')]);
      expect(plain?.status).toBe('info');
      expect([missing?.status, missing?.summary]).toEqual([
        'fail',
        'libs-release-local/shop/9.9.9/shop-9.9.9.jar not found',
      ]);
      expect(peer.requests.every((request) => request.headers.authorization === 'Bearer art-token')).toBe(true);
    } finally {
      await peer.close();
    }
  });

  it('reads a Bamboo build result: state, life cycle and tests, with the token from config', async () => {
    const result = fixture('bamboo-result.json') as Record<string, unknown>;
    let answer: unknown = result;
    const peer = await startPeer({
      'GET /rest/api/latest/result/SHOP-BUILD-57': { handle: () => ({ status: 200, body: answer }) },
    });
    const request = [{ connector: 'bamboo' as const, plan: 'SHOP-BUILD', build: 57 }];
    try {
      const [failed] = await gatherEvidence(request, connectorsConfig({ bamboo: { url: peer.url, token: 'bmb-pat' } }));
      expect(failed).toMatchObject({
        connector: 'bamboo',
        status: 'fail',
        summary: 'SHOP-BUILD-57: Failed, tests 405 passed, 2 failed, 5 skipped',
        data: { buildNumber: 57, buildState: 'Failed', url: `${peer.url}/browse/SHOP-BUILD-57` },
      });
      expect(peer.requests[0]?.headers.authorization).toBe('Bearer bmb-pat');
      expect(peer.requests[0]?.headers.accept).toBe('application/json');

      answer = { ...result, buildState: 'Successful', failedTestCount: 0 };
      const basic = connectorsConfig({ bamboo: { url: peer.url, user: 'ci', password: 'pw' } });
      expect((await gatherEvidence(request, basic))[0]?.status).toBe('pass');
      expect(peer.requests[1]?.headers.authorization).toBe(`Basic ${Buffer.from('ci:pw').toString('base64')}`);

      answer = { ...result, lifeCycleState: 'InProgress', buildState: 'Unknown' };
      const [running] = await gatherEvidence(request, basic);
      expect([running?.status, running?.summary]).toEqual(['warn', expect.stringContaining('InProgress')]);
    } finally {
      await peer.close();
    }
  });

  it('reads a ServiceNow change request: state, approval and window, with basic auth from config', async () => {
    const record = (fixture('servicenow-change-request.json') as { result: Array<Record<string, string>> }).result[0];
    let answer: unknown = { result: [record] };
    const peer = await startPeer({
      'GET /api/now/table/change_request': { handle: () => ({ status: 200, body: answer }) },
    });
    const config = connectorsConfig({ servicenow: { url: peer.url, user: 'isd', password: 'sn-secret' } });
    const request = [{ connector: 'servicenow' as const, changeRequest: 'CHG0030001' }];
    const at = (iso: string) => () => new Date(iso);
    try {
      const [inside] = await gatherEvidence(request, config, at('2026-12-06T12:00:00Z'));
      expect(inside).toMatchObject({
        connector: 'servicenow',
        status: 'pass',
        summary: 'CHG0030001 Implement, approval approved, window 2026-12-06T08:00:00.000Z – 2026-12-06T20:00:00.000Z',
        data: {
          state: 'Implement',
          approval: 'approved',
          inWindow: true,
          url: `${peer.url}/nav_to.do?uri=change_request.do%3Fsys_id%3Dc83c5e5347c12200e0ef563dbb9a7190`,
        },
      });
      const sent = new URL(peer.requests[0]?.url ?? '', peer.url);
      expect(sent.searchParams.get('sysparm_query')).toBe('number=CHG0030001');
      expect(sent.searchParams.get('sysparm_limit')).toBe('1');
      expect(peer.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('isd:sn-secret').toString('base64')}`);

      const [after] = await gatherEvidence(request, config, at('2026-12-06T21:00:00Z'));
      expect([after?.status, after?.summary]).toEqual(['warn', expect.stringContaining('(outside its window)')]);

      answer = { result: [{ ...record, state: '-3', approval: 'requested' }] };
      const [waiting] = await gatherEvidence(request, config, at('2026-12-06T12:00:00Z'));
      expect([waiting?.status, waiting?.data.state]).toEqual(['warn', 'Authorize']);

      answer = { result: [{ ...record, approval: 'rejected' }] };
      expect((await gatherEvidence(request, config, at('2026-12-06T12:00:00Z')))[0]?.status).toBe('fail');

      answer = { result: [] };
      const [missing] = await gatherEvidence(request, config, at('2026-12-06T12:00:00Z'));
      expect([missing?.status, missing?.summary]).toEqual(['fail', 'change request CHG0030001 not found']);

      const [unconfigured] = await gatherEvidence(request, connectorsConfig({}));
      expect([unconfigured?.status, unconfigured?.error]).toEqual([
        'error',
        'the ServiceNow connector is not configured (connectors.servicenow)',
      ]);
    } finally {
      await peer.close();
    }
  });

  it('reads a Jenkins build: result, number, URL and test counts, with basic auth from config', async () => {
    const peer = await startPeer({
      'GET /job/shop/job/build-shop/57/api/json': { body: fixture('jenkins-build.json') },
    });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'jenkins', job: 'shop/build-shop', build: 57 }],
        connectorsConfig({ jenkins: { url: peer.url, user: 'ci-bot', apiToken: 'jenkins-secret' } }),
      );
      expect(card).toMatchObject({
        connector: 'jenkins',
        status: 'warn',
        summary: 'shop/build-shop #57: UNSTABLE, tests 412 run, 2 failed, 5 skipped',
        data: {
          number: 57,
          result: 'UNSTABLE',
          url: 'https://ci.example.com/job/shop/job/build-shop/57/',
          tests: { total: 412, failed: 2, skipped: 5 },
        },
      });
      expect(peer.requests[0]?.headers.authorization).toBe(
        `Basic ${Buffer.from('ci-bot:jenkins-secret').toString('base64')}`,
      );
      expect(peer.requests[0]?.url).toContain('tree=');
    } finally {
      await peer.close();
    }
  });

  it('reads a GitHub compare: commits, authors and PR links, with the token from config', async () => {
    const peer = await startPeer({
      'GET /repos/acme/shop/compare/v1.4.0...v1.5.0': { body: fixture('github-compare.json') },
    });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'git', provider: 'github', repository: 'acme/shop', base: 'v1.4.0', head: 'v1.5.0' }],
        connectorsConfig({ github: { apiUrl: peer.url, token: 'ghp_secret' } }),
      );
      expect(card?.status).toBe('info');
      expect(card?.summary).toBe('acme/shop v1.4.0…v1.5.0: 3 commits by 2 authors, 2 PRs');
      expect(card?.data).toMatchObject({
        totalCommits: 3,
        authors: ['Sam Ortiz', 'danalee'],
        pullRequests: [
          { number: 481, url: 'https://github.com/acme/shop/pull/481' },
          { number: 483, url: 'https://github.com/acme/shop/pull/483' },
        ],
        url: 'https://github.com/acme/shop/compare/v1.4.0...v1.5.0',
      });
      expect(peer.requests[0]?.headers.authorization).toBe('Bearer ghp_secret');
    } finally {
      await peer.close();
    }
  });

  it('reads a GitLab compare with MR links, the project path URL-encoded', async () => {
    const peer = await startPeer({
      'GET /api/v4/projects/acme%2Fplatform%2Fshop/repository/compare': { body: fixture('gitlab-compare.json') },
    });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'git', provider: 'gitlab', repository: 'acme/platform/shop', base: 'v1.4.0', head: 'v1.5.0' }],
        connectorsConfig({ gitlab: { url: peer.url, token: 'glpat-secret' } }),
      );
      expect(card?.data).toMatchObject({
        totalCommits: 2,
        authors: ['Dana Lee', 'Sam Ortiz'],
        pullRequests: [{ number: 42, url: `${peer.url}/acme/platform/shop/-/merge_requests/42` }],
      });
      expect(peer.requests[0]?.url).toContain('from=v1.4.0&to=v1.5.0');
      expect(peer.requests[0]?.headers['private-token']).toBe('glpat-secret');
    } finally {
      await peer.close();
    }
  });

  it('searches JIRA issues by key and shows key, status and priority', async () => {
    const peer = await startPeer({ 'GET /rest/api/2/search': { body: fixture('jira-search.json') } });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'jira', issues: ['SHOP-12', 'SHOP-13', 'SHOP-99'] }],
        connectorsConfig({ jira: { url: peer.url, user: 'bot', apiToken: 'jira-secret' } }),
      );
      expect(card?.status).toBe('warn');
      expect(card?.summary).toBe('2 issues: 1 Done, 1 In Progress; not found: SHOP-99');
      expect(card?.data.issues).toEqual([
        expect.objectContaining({
          key: 'SHOP-12',
          status: 'Done',
          priority: 'High',
          url: `${peer.url}/browse/SHOP-12`,
        }),
        expect.objectContaining({ key: 'SHOP-13', status: 'In Progress', priority: 'Medium' }),
      ]);
      const query = new URL(peer.requests[0]?.url ?? '', peer.url).searchParams;
      expect(query.get('jql')).toBe('key in (SHOP-12,SHOP-13,SHOP-99) ORDER BY key');
      expect(query.get('fields')).toBe('summary,status,priority');
    } finally {
      await peer.close();
    }
  });

  it('keeps a card storable when the peer answers NUL or lone surrogate escapes, or NUL in an error body', async () => {
    const search = fixture('jira-search.json') as { issues: Array<{ fields: { status: { name: string } } }> };
    const hostile = structuredClone(search);
    hostile.issues[0]!.fields.status.name = 'Done \ud800\u0000';
    let answer: { status: number; body: unknown } = { status: 200, body: hostile };
    const peer = await startPeer({ 'GET /rest/api/2/search': { handle: () => answer } });
    const request = [{ connector: 'jira' as const, issues: ['SHOP-12'] }];
    const config = connectorsConfig({ jira: { url: peer.url, user: 'bot', apiToken: 'jira-secret' } });
    // What Postgres refuses in jsonb: a NUL character or a lone surrogate, escaped by JSON.stringify.
    const unstorable = /\\u0000|\\ud[89ab]/i;
    try {
      const [card] = await gatherEvidence(request, config);
      expect(card?.status).not.toBe('error');
      expect(JSON.stringify(card)).toContain('Done \ufffd\ufffd');
      expect(JSON.stringify(card)).not.toMatch(unstorable);

      answer = { status: 500, body: 'broken \u0000 backend' };
      const [failed] = await gatherEvidence(request, config);
      expect(failed?.status).toBe('error');
      expect(failed?.error).toContain('broken \ufffd backend');
      expect(JSON.stringify(failed)).not.toMatch(unstorable);
    } finally {
      await peer.close();
    }
  });

  it('reads the SonarQube quality gate and its failing conditions', async () => {
    const peer = await startPeer({
      'GET /api/qualitygates/project_status': { body: fixture('sonarqube-project-status.json') },
    });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'sonarqube', projectKey: 'acme:shop', branch: 'main' }],
        connectorsConfig({ sonarqube: { url: peer.url, token: 'squ_secret' } }),
      );
      expect(card).toMatchObject({
        status: 'fail',
        summary: 'quality gate ERROR: new_coverage 71.3 (LT 80)',
        data: { qualityGate: 'ERROR' },
      });
      expect((card?.data.conditions as unknown[]).length).toBe(3);
      expect(peer.requests[0]?.url).toBe('/api/qualitygates/project_status?projectKey=acme%3Ashop&branch=main');
      expect(peer.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('squ_secret:').toString('base64')}`);
    } finally {
      await peer.close();
    }
  });

  it('reads the verification score from autopilot', async () => {
    const id = '7f6c2a1e-3c1d-4e55-9a0b-1b2c3d4e5f60';
    const peer = await startPeer({
      [`GET /api/v1/verifications/${id}`]: { body: fixture('autopilot-verification.json') },
    });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'verification', verificationId: id }],
        connectorsConfig({ autopilot: { url: peer.url, token: 'autopilot-token' } }),
      );
      expect(card).toMatchObject({ status: 'pass', data: { verdict: 'pass', score: 91.5 } });
      expect(peer.requests[0]?.headers['x-isd-service-token']).toBe('autopilot-token');
    } finally {
      await peer.close();
    }
  });

  it('reads chosen fields from a configured generic JSON endpoint, headers from config', async () => {
    const peer = await startPeer({
      'GET /status/shop': { body: { release: { train: 'R42', frozen: false }, owners: ['a', 'b'] } },
    });
    try {
      const [card] = await gatherEvidence(
        [
          {
            connector: 'http',
            endpoint: 'release-calendar',
            path: '/status/shop',
            label: 'Release train',
            fields: { train: 'release.train', frozen: 'release.frozen', firstOwner: 'owners[0]', missing: 'nope.x' },
          },
        ],
        connectorsConfig({
          http: { 'release-calendar': { url: peer.url, headers: { 'x-api-key': 'calendar-secret' } } },
        }),
      );
      expect(card).toMatchObject({
        label: 'Release train',
        status: 'info',
        data: { train: 'R42', frozen: false, firstOwner: 'a', missing: null },
      });
      expect(peer.requests[0]?.headers['x-api-key']).toBe('calendar-secret');
    } finally {
      await peer.close();
    }
  });

  it('refuses a generic path that climbs out of the endpoint (encoded dots), never sending its credentials', async () => {
    const peer = await startPeer({
      'GET /admin/secret': { body: { secret: 'the admin secret' } },
      'GET /calendar/status': { body: { ok: true } },
    });
    try {
      const cards = await gatherEvidence(
        ['/%2e%2e/%2e%2e/admin/secret', '/..%2f..%2fadmin/secret', '/%252e%252e/admin/secret'].map((path) => ({
          connector: 'http' as const,
          endpoint: 'release-calendar',
          path,
        })),
        connectorsConfig({
          http: { 'release-calendar': { url: `${peer.url}/calendar`, headers: { authorization: 'Bearer cal' } } },
        }),
      );
      expect(cards.map((card) => card.status)).toEqual(['error', 'error', 'error']);
      for (const card of cards) expect(card.error).toMatch(/dot segment .* would leave the allowed base/);
      expect(JSON.stringify(cards)).not.toContain('the admin secret');
      expect(peer.requests).toEqual([]);
    } finally {
      await peer.close();
    }
  });

  it('treats endpoint names like constructor or __proto__ as unknown endpoints, not Object members', async () => {
    const cards = await gatherEvidence(
      ['constructor', '__proto__', 'toString'].map((endpoint) => ({ connector: 'http' as const, endpoint })),
      connectorsConfig({ http: {} }),
    );
    expect(cards.map((card) => card.error)).toEqual([
      'no http endpoint named constructor is configured (connectors.http)',
      'no http endpoint named __proto__ is configured (connectors.http)',
      'no http endpoint named toString is configured (connectors.http)',
    ]);
  });

  it('shows a failing or unconfigured connector as an error card, and times out a slow one without holding the others', async () => {
    const peer = await startPeer({
      'GET /job/slow/1/api/json': { body: fixture('jenkins-build.json'), delayMs: 5_000 },
      'GET /api/qualitygates/project_status': { status: 500, body: { errors: [{ msg: 'boom' }] } },
      'GET /rest/api/2/search': { body: fixture('jira-search.json') },
    });
    try {
      const started = Date.now();
      const cards = await gatherEvidence(
        [
          { connector: 'jenkins', job: 'slow', build: 1 },
          { connector: 'sonarqube', projectKey: 'x' },
          { connector: 'jira', issues: ['SHOP-12'] },
          { connector: 'git', provider: 'github', repository: 'acme/shop', base: 'a', head: 'b' },
        ],
        connectorsConfig({
          timeoutMs: 500,
          jenkins: { url: peer.url },
          sonarqube: { url: peer.url },
          jira: { url: peer.url },
        }),
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(cards.map((card) => card.status)).toEqual(['error', 'error', 'info', 'error']);
      expect(cards[0]?.error).toMatch(/timed out after 500 ms/);
      expect(cards[1]?.error).toMatch(/answered 500/);
      expect(cards[3]?.error).toMatch(/not configured \(connectors.github\)/);
    } finally {
      await peer.close();
    }
  });

  it('does not follow redirects or read oversized answers', async () => {
    const peer = await startPeer({
      'GET /job/big/1/api/json': { body: { padding: 'x'.repeat(5_000) } },
    });
    try {
      const [card] = await gatherEvidence(
        [{ connector: 'jenkins', job: 'big', build: 1 }],
        connectorsConfig({ maxResponseBytes: 1_000, jenkins: { url: peer.url } }),
      );
      expect(card?.error).toMatch(/more than 1000 bytes/);
    } finally {
      await peer.close();
    }
  });
});
