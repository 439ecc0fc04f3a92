// Jenkins contract harness: the parts of Jenkins' remote access API a test verification reads, written
// from Jenkins' documentation ("Remote Access API", https://www.jenkins.io/doc/book/using/remote-access-api/)
// and the JUnit plugin's exported model (hudson.tasks.junit.TestResult / SuiteResult / CaseResult):
// - jobs nest in folders as `/job/<folder>/job/<name>/`, a build is `/<number>/` or a permalink
//   (lastBuild, lastCompletedBuild, lastSuccessfulBuild, lastStableBuild, lastUnstableBuild, lastFailedBuild);
// - `GET …/<build>/testReport/api/json` is the TestResult (`duration` in seconds, `failCount`,
//   `passCount`, `skipCount`, `suites[{name, duration, cases[{className, name, duration, status,
//   skipped, errorDetails, errorStackTrace, skippedMessage, age, failedSince}]}]`); CaseResult.status is
//   PASSED, SKIPPED, FAILED, FIXED (passes, failed in the previous build) or REGRESSION (fails, passed in
//   the previous build); a build without test results answers 404;
// - `?tree=` keeps only the named properties, nested with `[…]` (the API's "tree" parameter);
// - `GET …/<build>/artifact/<path>` serves an archived file; unknown job, build or file answer 404;
// - with users configured, requests need HTTP basic auth with a user's API token, else 401.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HarnessCase {
  className: string;
  name: string;
  /** Seconds, as Jenkins reports them. */
  duration: number;
  outcome: 'passed' | 'failed' | 'skipped';
  message?: string;
}

export interface HarnessBuild {
  number: number;
  result: 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'ABORTED' | null;
  /** Test suites published by the JUnit step; absent = the build has no test report. */
  suites?: Array<{ name: string; cases: HarnessCase[] }>;
  artifacts?: Record<string, string>;
}

export interface JenkinsHarness {
  url: string;
  /** Paths (with query) of every request, in order. */
  requests: Array<{ path: string; authorization: string | undefined }>;
  addBuild(job: string, build: HarnessBuild): void;
  close(): Promise<void>;
}

type Tree = Map<string, Tree | null>;

/** Parses Jenkins' `tree` parameter: `a,b[c,d[e]]`. */
export function parseTree(text: string): Tree {
  let at = 0;
  const level = (): Tree => {
    const tree: Tree = new Map();
    for (;;) {
      const name = /^[A-Za-z_$][\w$]*/.exec(text.slice(at))?.[0];
      if (!name) throw new Error(`bad tree at ${at}`);
      at += name.length;
      let children: Tree | null = null;
      if (text[at] === '[') {
        at++;
        children = level();
        if (text[at] !== ']') throw new Error(`bad tree at ${at}`);
        at++;
      }
      // Jenkins' `{m,n}` range suffix is accepted and ignored here.
      const range = /^\{\d*,?\d*\}/.exec(text.slice(at));
      if (range) at += range[0].length;
      tree.set(name, children);
      if (text[at] !== ',') return tree;
      at++;
    }
  };
  const tree = level();
  if (at !== text.length) throw new Error(`bad tree at ${at}`);
  return tree;
}

function applyTree(value: unknown, tree: Tree | null): unknown {
  if (tree === null || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => applyTree(item, tree));
  const record = value as Record<string, unknown>;
  // `_class` is always kept, as Jenkins does.
  const kept: Record<string, unknown> = '_class' in record ? { _class: record._class } : {};
  for (const [key, children] of tree) if (key in record) kept[key] = applyTree(record[key], children);
  return kept;
}

const PERMALINKS: Record<string, (build: HarnessBuild) => boolean> = {
  lastBuild: () => true,
  lastCompletedBuild: (b) => b.result !== null,
  lastSuccessfulBuild: (b) => b.result === 'SUCCESS' || b.result === 'UNSTABLE',
  lastStableBuild: (b) => b.result === 'SUCCESS',
  lastUnstableBuild: (b) => b.result === 'UNSTABLE',
  lastFailedBuild: (b) => b.result === 'FAILURE',
};

function caseStatus(outcome: HarnessCase['outcome'], previous: HarnessCase['outcome'] | undefined): string {
  if (outcome === 'skipped') return 'SKIPPED';
  if (outcome === 'passed') return previous === 'failed' ? 'FIXED' : 'PASSED';
  return previous === 'passed' ? 'REGRESSION' : 'FAILED';
}

function testReport(build: HarnessBuild, previous: HarnessBuild | undefined) {
  const before = new Map(
    (previous?.suites ?? []).flatMap((suite) => suite.cases.map((c) => [`${c.className}.${c.name}`, c.outcome])),
  );
  const all = build.suites!.flatMap((suite) => suite.cases);
  const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
  return {
    _class: 'hudson.tasks.junit.TestResult',
    duration: round(all.reduce((sum, c) => sum + c.duration, 0)),
    empty: all.length === 0,
    failCount: all.filter((c) => c.outcome === 'failed').length,
    passCount: all.filter((c) => c.outcome === 'passed').length,
    skipCount: all.filter((c) => c.outcome === 'skipped').length,
    suites: build.suites!.map((suite, index) => ({
      duration: round(suite.cases.reduce((sum, c) => sum + c.duration, 0)),
      enclosingBlockNames: [],
      enclosingBlocks: [],
      id: null,
      name: suite.name,
      nodeId: String(index),
      stderr: null,
      stdout: `a long stdout of suite ${suite.name}\n`.repeat(50),
      timestamp: '2026-12-06T10:00:00',
      cases: suite.cases.map((c) => ({
        _class: 'hudson.tasks.junit.CaseResult',
        testActions: [],
        age: c.outcome === 'failed' ? 1 : 0,
        className: c.className,
        duration: c.duration,
        errorDetails: c.outcome === 'failed' ? (c.message ?? 'failed') : null,
        errorStackTrace: c.outcome === 'failed' ? `${c.message ?? 'failed'}\n\tat ${c.className}.${c.name}` : null,
        failedSince: c.outcome === 'failed' ? build.number : 0,
        name: c.name,
        skipped: c.outcome === 'skipped',
        skippedMessage: c.outcome === 'skipped' ? (c.message ?? null) : null,
        status: caseStatus(c.outcome, before.get(`${c.className}.${c.name}`)),
        stderr: null,
        stdout: null,
      })),
    })),
  };
}

/** Starts the harness on 127.0.0.1; `users` maps user → API token (none = anonymous read allowed). */
export async function startJenkinsHarness(options: { users?: Record<string, string> } = {}): Promise<JenkinsHarness> {
  const jobs = new Map<string, HarnessBuild[]>();
  const requests: JenkinsHarness['requests'] = [];
  const users = options.users ?? {};
  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/html') =>
    res.writeHead(status, { 'content-type': type, 'x-jenkins': '2.479.1' }).end(body);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://jenkins');
    requests.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    if (Object.keys(users).length) {
      const match = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      const [user, token] = match ? Buffer.from(match[1]!, 'base64').toString().split(':') : [];
      if (!user || users[user] !== token) {
        res.setHeader('WWW-Authenticate', 'Basic realm="Jenkins"');
        return send(res, 401, '<html><body>Unauthorized</body></html>');
      }
    }
    // /job/a/job/b/<build>/<rest>
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const names: string[] = [];
    while (segments[0] === 'job' && segments.length >= 2) {
      names.push(segments[1]!);
      segments.splice(0, 2);
    }
    const builds = jobs.get(names.join('/'));
    const [buildRef, ...rest] = segments;
    if (!builds || !buildRef) return send(res, 404, '<html><body>Not Found</body></html>');
    const sorted = [...builds].sort((a, b) => b.number - a.number);
    const build = /^\d+$/.test(buildRef)
      ? sorted.find((b) => b.number === Number(buildRef))
      : PERMALINKS[buildRef]
        ? sorted.find(PERMALINKS[buildRef])
        : undefined;
    if (!build) return send(res, 404, '<html><body>Not Found</body></html>');
    if (rest[0] === 'testReport' && rest[1] === 'api' && rest[2] === 'json' && rest.length === 3) {
      if (!build.suites) return send(res, 404, '<html><body>Not Found</body></html>');
      const previous = sorted.find((b) => b.number < build.number && b.suites);
      let tree: Tree | null = null;
      const treeParam = url.searchParams.get('tree');
      if (treeParam !== null) {
        try {
          tree = parseTree(treeParam);
        } catch (error) {
          return send(res, 400, `<html><body>${(error as Error).message}</body></html>`);
        }
      }
      return send(res, 200, JSON.stringify(applyTree(testReport(build, previous), tree)), 'application/json');
    }
    if (rest[0] === 'artifact' && rest.length > 1) {
      const file = build.artifacts?.[rest.slice(1).join('/')];
      if (file === undefined) return send(res, 404, '<html><body>Not Found</body></html>');
      return send(res, 200, file, 'application/xml');
    }
    return send(res, 404, '<html><body>Not Found</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    addBuild(job, build) {
      jobs.set(job, [...(jobs.get(job) ?? []).filter((b) => b.number !== build.number), build]);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
