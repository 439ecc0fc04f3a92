import { evidenceRequestSchema } from './schemas';

const issuesOf = (value: unknown) =>
  evidenceRequestSchema.safeParse(value).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ??
  [];

describe('evidence requests of the new connectors', () => {
  it('accepts well-formed Artifactory, Bamboo and ServiceNow requests', () => {
    expect(issuesOf({ connector: 'artifactory', repository: 'libs-release', path: 'a/b/c.jar' })).toEqual([]);
    expect(issuesOf({ connector: 'bamboo', plan: 'SHOP-BUILD', build: 57 })).toEqual([]);
    expect(issuesOf({ connector: 'servicenow', changeRequest: 'CHG0030001' })).toEqual([]);
  });

  it('refuses paths that climb, absolute or empty segments, hosts and malformed keys, naming the field', () => {
    for (const path of ['../secrets', 'a/../../b', '/etc/passwd', 'a//b', 'a/./b', 'a?x=1', 'a\\\\b'])
      expect(issuesOf({ connector: 'artifactory', repository: 'libs', path })[0]).toMatch(/^path: /);
    expect(issuesOf({ connector: 'artifactory', repository: 'http://evil', path: 'a' })[0]).toMatch(/^repository: /);
    expect(issuesOf({ connector: 'artifactory', repository: 'libs', path: 'a', sha256: 'abc' })[0]).toMatch(
      /^sha256: /,
    );
    expect(issuesOf({ connector: 'bamboo', plan: 'shop-build', build: 1 })[0]).toMatch(/^plan: /);
    expect(issuesOf({ connector: 'bamboo', plan: 'SHOP-BUILD', build: 0 })[0]).toMatch(/^build: /);
    expect(issuesOf({ connector: 'servicenow', changeRequest: 'CHG001; DROP' })[0]).toMatch(/^changeRequest: /);
    const git = { connector: 'git', base: 'v1', head: 'v2' };
    expect(issuesOf({ ...git, provider: 'bitbucket', repository: 'acme/group/shop' })[0]).toMatch(/^repository: /);
    expect(issuesOf({ ...git, provider: 'bitbucket-server', repository: 'SHOP/web' })).toEqual([]);
    expect(issuesOf({ ...git, provider: 'gitlab', repository: 'acme/group/shop' })).toEqual([]);
  });
});
