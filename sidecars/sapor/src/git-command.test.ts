import { GitError, runGit, withoutUrlCredentials } from './git-command';

describe('runGit', () => {
  it("returns git's trimmed output", async () => {
    expect(await runGit(['--version'])).toMatch(/^git version \S+$/);
  });

  it('never puts URL credentials in its error, even when git writes nothing to stderr', async () => {
    // rev-parse --quiet fails silently, so the message falls back to Node's "Command failed: git …" line.
    const failure = runGit(['rev-parse', '--verify', '--quiet', 'https://ci-bot:s3cret-token@git.example.com/p.git']);
    await expect(failure).rejects.toThrow(GitError);
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain('git rev-parse failed');
    expect(message).toContain('https://***@git.example.com/p.git');
    expect(message).not.toContain('s3cret');
  });
});

describe('withoutUrlCredentials', () => {
  it('hides the user information of every URL and leaves other text alone', () => {
    expect(withoutUrlCredentials("fetch 'https://u:p@a.example/x' and ssh://git@b.example/y; user@host")).toBe(
      "fetch 'https://***@a.example/x' and ssh://***@b.example/y; user@host",
    );
  });
});

describe('GitError', () => {
  it('tells a push that lost a race from other failures', () => {
    expect(new GitError('push failed', ' ! [rejected] main -> main (fetch first)').rejected).toBe(true);
    expect(new GitError('push failed', 'fatal: Authentication failed').rejected).toBe(false);
  });
});
