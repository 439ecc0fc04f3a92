// Git: commits between two refs with authors and PR/MR links, from GitHub's or GitLab's compare API, or
// Bitbucket Cloud's and Bitbucket Server's commit lists between the refs.
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asArray, asNumber, asRecord, asString, basicAuth, fetchJson, joinUrl } from './http-json';

type GitRequest = Extract<EvidenceRequest, { connector: 'git' }>;

const MAX_COMMITS_SHOWN = 100;

interface CommitSummary {
  sha: string;
  title: string;
  author: string;
  url: string | null;
}

/** PR numbers GitHub writes into merge and squash commit titles: "Merge pull request #12", "Fix (#12)". */
export function githubPullNumbers(message: string): number[] {
  const numbers = new Set<number>();
  const firstLine = message.split('\n')[0] ?? '';
  for (const match of firstLine.matchAll(/Merge pull request #(\d+)|\(#(\d+)\)\s*$/g))
    numbers.add(Number(match[1] ?? match[2]));
  return [...numbers];
}

/** MR references GitLab writes into merge commits: "See merge request group/project!12". */
export function gitlabMergeRequests(message: string): Array<{ project: string; iid: number }> {
  return [...message.matchAll(/See merge request ([\w./-]+)!(\d+)/g)].map((match) => ({
    project: match[1] as string,
    iid: Number(match[2]),
  }));
}

async function github(request: GitRequest, context: Parameters<Connector>[1]) {
  const config = context.config.github;
  if (!config) throw notConfigured('GitHub', 'github');
  const path = `repos/${request.repository}/compare/${encodeURIComponent(request.base)}...${encodeURIComponent(request.head)}`;
  const body = asRecord(
    await fetchJson(config.apiUrl, path, {
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
      },
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const pulls = new Set<number>();
  const commits: CommitSummary[] = asArray(body.commits).map((item) => {
    const commit = asRecord(item);
    const inner = asRecord(commit.commit);
    const message = asString(inner.message) ?? '';
    for (const number of githubPullNumbers(message)) pulls.add(number);
    return {
      sha: asString(commit.sha) ?? '',
      title: message.split('\n')[0] ?? '',
      author: asString(asRecord(commit.author).login) ?? asString(asRecord(inner.author).name) ?? 'unknown',
      url: asString(commit.html_url) ?? null,
    };
  });
  return {
    total: asNumber(body.total_commits) ?? commits.length,
    compareUrl: asString(body.html_url) ?? null,
    commits,
    pullRequests: [...pulls]
      .sort((a, b) => a - b)
      .map((number) => ({ number, url: joinUrl(config.webUrl, `${request.repository}/pull/${number}`) })),
  };
}

async function gitlab(request: GitRequest, context: Parameters<Connector>[1]) {
  const config = context.config.gitlab;
  if (!config) throw notConfigured('GitLab', 'gitlab');
  const query = new URLSearchParams({ from: request.base, to: request.head, straight: 'false' });
  const path = `api/v4/projects/${encodeURIComponent(request.repository)}/repository/compare?${query}`;
  const body = asRecord(
    await fetchJson(config.url, path, {
      headers: config.token ? { 'private-token': config.token } : {},
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const requests = new Map<string, { number: number; url: string }>();
  const commits: CommitSummary[] = asArray(body.commits).map((item) => {
    const commit = asRecord(item);
    for (const reference of gitlabMergeRequests(asString(commit.message) ?? '')) {
      requests.set(`${reference.project}!${reference.iid}`, {
        number: reference.iid,
        url: joinUrl(config.url, `${reference.project}/-/merge_requests/${reference.iid}`),
      });
    }
    return {
      sha: asString(commit.id) ?? '',
      title: asString(commit.title) ?? '',
      author: asString(commit.author_name) ?? 'unknown',
      url: asString(commit.web_url) ?? null,
    };
  });
  return {
    total: commits.length,
    compareUrl: asString(body.web_url) ?? null,
    commits,
    pullRequests: [...requests.values()],
  };
}

/** PR numbers Bitbucket writes into merge commits: Server "Merge pull request #12 in P/r from …", Cloud "… (pull request #12)". */
export function bitbucketPullNumbers(message: string): number[] {
  const firstLine = message.split('\n')[0] ?? '';
  return [
    ...new Set(
      [...firstLine.matchAll(/^Merge pull request #(\d+) in |\(pull request #(\d+)\)/g)].map((match) =>
        Number(match[1] ?? match[2]),
      ),
    ),
  ];
}

const BITBUCKET_PAGE = 100;

async function bitbucketCloud(request: GitRequest, context: Parameters<Connector>[1]) {
  const config = context.config.bitbucket;
  if (!config) throw notConfigured('Bitbucket Cloud', 'bitbucket');
  const [workspace, slug] = request.repository.split('/') as [string, string];
  const query = new URLSearchParams({ include: request.head, exclude: request.base, pagelen: String(BITBUCKET_PAGE) });
  const body = asRecord(
    await fetchJson(
      config.apiUrl,
      `2.0/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(slug)}/commits?${query}`,
      {
        headers: config.token
          ? { authorization: `Bearer ${config.token}` }
          : basicAuth(config.user, config.appPassword),
        signal: context.signal,
        maxResponseBytes: context.config.maxResponseBytes,
      },
    ),
  );
  const pulls = new Set<number>();
  const commits: CommitSummary[] = asArray(body.values).map((item) => {
    const commit = asRecord(item);
    const message = asString(commit.message) ?? '';
    for (const number of bitbucketPullNumbers(message)) pulls.add(number);
    const author = asRecord(commit.author);
    return {
      sha: asString(commit.hash) ?? '',
      title: message.split('\n')[0] ?? '',
      author: asString(asRecord(author.user).display_name) ?? asString(author.raw) ?? 'unknown',
      url: asString(asRecord(asRecord(commit.links).html).href) ?? null,
    };
  });
  return {
    // More than one page: the count is a lower bound (`next` is set).
    total: commits.length,
    truncated: typeof body.next === 'string',
    compareUrl: null,
    commits,
    pullRequests: [...pulls]
      .sort((a, b) => a - b)
      .map((number) => ({ number, url: joinUrl(config.webUrl, `${workspace}/${slug}/pull-requests/${number}`) })),
  };
}

async function bitbucketServer(request: GitRequest, context: Parameters<Connector>[1]) {
  const config = context.config.bitbucketServer;
  if (!config) throw notConfigured('Bitbucket Server', 'bitbucketServer');
  const [project, slug] = request.repository.split('/') as [string, string];
  const repo = `projects/${encodeURIComponent(project)}/repos/${encodeURIComponent(slug)}`;
  const query = new URLSearchParams({ since: request.base, until: request.head, limit: String(BITBUCKET_PAGE) });
  const body = asRecord(
    await fetchJson(config.url, `rest/api/1.0/${repo}/commits?${query}`, {
      headers: config.token ? { authorization: `Bearer ${config.token}` } : basicAuth(config.user, config.password),
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const pulls = new Set<number>();
  const commits: CommitSummary[] = asArray(body.values).map((item) => {
    const commit = asRecord(item);
    const message = asString(commit.message) ?? '';
    for (const number of bitbucketPullNumbers(message)) pulls.add(number);
    const id = asString(commit.id) ?? '';
    const author = asRecord(commit.author);
    return {
      sha: id,
      title: message.split('\n')[0] ?? '',
      author: asString(author.displayName) ?? asString(author.name) ?? 'unknown',
      url: id ? joinUrl(config.url, `${repo}/commits/${id}`) : null,
    };
  });
  const compare = new URL(joinUrl(config.url, `${repo}/compare/commits`));
  compare.searchParams.set('sourceBranch', request.head);
  compare.searchParams.set('targetBranch', request.base);
  return {
    total: commits.length,
    truncated: body.isLastPage === false,
    compareUrl: compare.toString(),
    commits,
    pullRequests: [...pulls]
      .sort((a, b) => a - b)
      .map((number) => ({ number, url: joinUrl(config.url, `${repo}/pull-requests/${number}`) })),
  };
}

/** Git evidence: what changed between the two refs, and who changed it. */
export const gitConnector: Connector<GitRequest> = async (request, context) => {
  const found: {
    total: number;
    truncated?: boolean;
    compareUrl: string | null;
    commits: CommitSummary[];
    pullRequests: Array<{ number: number; url: string }>;
  } =
    request.provider === 'gitlab'
      ? await gitlab(request, context)
      : request.provider === 'bitbucket'
        ? await bitbucketCloud(request, context)
        : request.provider === 'bitbucket-server'
          ? await bitbucketServer(request, context)
          : await github(request, context);
  const authors = [...new Set(found.commits.map((commit) => commit.author))].sort();
  return {
    status: 'info',
    summary: `${request.repository} ${request.base}…${request.head}: ${found.total}${found.truncated ? '+' : ''} commit${found.total === 1 ? '' : 's'} by ${authors.length} author${authors.length === 1 ? '' : 's'}${
      found.pullRequests.length ? `, ${found.pullRequests.length} PR${found.pullRequests.length === 1 ? '' : 's'}` : ''
    }`,
    data: {
      provider: request.provider,
      repository: request.repository,
      base: request.base,
      head: request.head,
      totalCommits: found.total,
      authors,
      commits: found.commits.slice(0, MAX_COMMITS_SHOWN),
      pullRequests: found.pullRequests,
      url: found.compareUrl,
    },
  };
};
