import { z } from 'zod';
import { decisionRequestSchema, evidenceRequestSchema, listQuerySchema } from './schemas';

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

describe('rules the OpenAPI document says', () => {
  it('takes as `limit` exactly the 1-to-4-digit numbers from 1 to 500, as a pattern the document carries', () => {
    const accepts = (limit: string) => listQuerySchema.safeParse({ limit }).success;
    const wrong: string[] = [];
    for (let digits = 1; digits <= 5; digits++) {
      for (let value = 0; value < 10 ** digits; value++) {
        const limit = String(value).padStart(digits, '0');
        if (accepts(limit) !== (digits <= 4 && value >= 1 && value <= 500)) wrong.push(limit);
      }
    }
    expect(wrong).toEqual([]);
    const documented = z.toJSONSchema(listQuerySchema, { io: 'input' }) as unknown as {
      properties: { limit: { pattern: string } };
    };
    expect(new RegExp(documented.properties.limit.pattern).test('0')).toBe(false);
    expect(new RegExp(documented.properties.limit.pattern).test('500')).toBe(true);
  });

  it("documents a decision's comment rules beside the refinements that enforce them", () => {
    const refused = (body: unknown) => decisionRequestSchema.safeParse(body).error?.issues[0]?.message;
    expect(refused({ action: 'reject', comment: ' \n' })).toBe('a reject needs a comment');
    expect(refused({ action: 'approve', breakGlass: true })).toBe('break-glass needs a reason in the comment');
    expect(refused({ action: 'approve', comment: '\ufeff' })).toBeUndefined();
    const documented = z.toJSONSchema(decisionRequestSchema, { io: 'input' }) as unknown as {
      allOf: { anyOf: { properties: { comment?: { pattern: string } } }[] }[];
    };
    const nonBlank = new RegExp(documented.allOf[0]!.anyOf[1]!.properties.comment!.pattern);
    // What the pattern accepts, trim() leaves something of.
    for (const comment of ['x', ' x ', '\ufeff', ' ', '\n\t', '\u00a0', '\u2028'])
      expect([comment, nonBlank.test(comment)]).toEqual([comment, comment.trim().length > 0]);
  });
});
