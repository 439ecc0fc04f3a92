// The lint rule that keeps user-controlled names out of plain-object lookups (issue 19, prototype-safe
// data) really fires: linted as a service source file, `obj[user]` and `obj[caller.user]` are errors,
// a Map lookup is not.
import path from 'node:path';
import { ESLint } from 'eslint';
import { repoRoot } from '@isd/test-support';

jest.setTimeout(120_000);

const asFile = path.join(repoRoot, 'sidecars/kit/src/outbound.ts');

async function ruleMessages(source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(source, { filePath: asFile });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-syntax')
    .map((message) => message.message);
}

describe('prototype-safe data lint rule', () => {
  it('flags a plain-object lookup by a user, role, group or application name', async () => {
    const messages = await ruleMessages(
      [
        'export function f(rolesByUser: Record<string, string[]>, user: string, caller: { user: string; application: string }, byApp: Record<string, number>) {',
        '  return [rolesByUser[user], rolesByUser[caller.user], byApp[caller.application]];',
        '}',
        '',
      ].join('\n'),
    );
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).toMatch(/user-controlled name indexes an object: use a Map/);
  });

  it('leaves Map lookups and array indexes alone', async () => {
    const messages = await ruleMessages(
      [
        'export function f(rolesByUser: Map<string, string[]>, user: string, list: string[], index: number) {',
        '  return [rolesByUser.get(user), list[index]];',
        '}',
        '',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });
});
