// JIRA contract harness, written from Atlassian's REST API v2 documentation (developer.atlassian.com,
// "The Jira Cloud platform REST API" v2 and Jira Server/Data Center's REST reference): the calls the
// visibility JIRA stage and evidence connector make, with JIRA's answers and error bodies.
//
// What it holds to, from the docs:
// - basic auth (`user:apiToken`); no or wrong credentials → 401 (Cloud answers a plain-text body);
// - POST /rest/api/2/issue with `fields.{project.key, issuetype.name, summary, description, labels}` →
//   201 `{id, key, self}`; errors are 400 `{errorMessages: [], errors: {field: message}}` with JIRA's
//   field messages (valid project / issue type required, summary required, label with spaces);
// - GET /rest/api/2/issue/{key}?fields=… → `{id, key, self, fields}` (only the asked fields), 404
//   `{errorMessages: ["Issue does not exist or you do not have permission to see it."], errors: {}}`;
// - GET …/transitions lists the transitions available from the issue's current status
//   `{transitions: [{id, name, to: {id, name, statusCategory}}]}`; POST …/transitions
//   `{transition: {id}}` → 204, an id not available now → 400 with errorMessages;
// - GET /rest/api/2/search?jql=… → `{startAt, maxResults, total, issues}`; the harness understands
//   `labels = "x"` and `key in (A-1, B-2)` (optionally `ORDER BY key`) and answers other JQL with 400.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A workflow status. */
export interface JiraStatus {
  id: string;
  name: string;
  /** JIRA's three categories: new (To Do), indeterminate (In Progress), done. */
  category: 'new' | 'indeterminate' | 'done';
}

/** A workflow transition: from any of `from` (empty = from every status) to `to`. */
export interface JiraTransition {
  id: string;
  name: string;
  from: string[];
  to: string;
}

/** An issue as stored. */
export interface JiraIssue {
  id: string;
  key: string;
  project: string;
  issueType: string;
  summary: string;
  description: string;
  labels: string[];
  status: string;
}

/** Options of {@link startJiraHarness}. */
export interface JiraHarnessOptions {
  user: string;
  apiToken: string;
  /** Project key → its issue types. */
  projects: Record<string, string[]>;
  /** Default: To Do → In Progress → In Review → Done, with Reject and Reopen. */
  statuses?: JiraStatus[];
  transitions?: JiraTransition[];
}

/** A recorded request. */
export interface JiraRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** A running harness. */
export interface JiraHarness {
  /** Base URL, what `connectors.jira.url` is set to. */
  url: string;
  issues: Map<string, JiraIssue>;
  requests: JiraRequest[];
  /** A person moves an issue to a status in JIRA's UI (no transition check, as an admin could). */
  setStatus(key: string, status: string): void;
  /** The next `count` requests matching method and path prefix get this answer instead (fault injection). */
  failNext(method: string, pathPrefix: string, answer: { status: number; body?: unknown }, count?: number): void;
  /** Deletes an issue, as a person could. */
  deleteIssue(key: string): void;
  close(): Promise<void>;
}

const defaultStatuses: JiraStatus[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'In Review', category: 'indeterminate' },
  { id: '10002', name: 'Done', category: 'done' },
  { id: '10003', name: 'Rejected', category: 'done' },
];

const defaultTransitions: JiraTransition[] = [
  { id: '11', name: 'Start Progress', from: ['To Do'], to: 'In Progress' },
  { id: '21', name: 'Submit for Review', from: ['To Do', 'In Progress'], to: 'In Review' },
  { id: '31', name: 'Approve', from: ['In Review'], to: 'Done' },
  { id: '41', name: 'Reject', from: ['In Review'], to: 'Rejected' },
  { id: '51', name: 'Reopen', from: ['Done', 'Rejected'], to: 'To Do' },
];

const categoryNames = { new: 'To Do', indeterminate: 'In Progress', done: 'Done' } as const;
const NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';

/** Starts the harness on 127.0.0.1. */
export async function startJiraHarness(options: JiraHarnessOptions): Promise<JiraHarness> {
  const statuses = options.statuses ?? defaultStatuses;
  const transitions = options.transitions ?? defaultTransitions;
  const issues = new Map<string, JiraIssue>();
  const requests: JiraRequest[] = [];
  const faults: Array<{ method: string; prefix: string; status: number; body?: unknown; left: number }> = [];
  const counters = new Map<string, number>();
  let nextId = 10_000;
  let base = '';

  const statusJson = (name: string) => {
    const status = statuses.find((candidate) => candidate.name === name);
    if (!status) throw new Error(`no status ${name} in the harness workflow`);
    return {
      self: `${base}/rest/api/2/status/${status.id}`,
      id: status.id,
      name: status.name,
      statusCategory: { key: status.category, name: categoryNames[status.category] },
    };
  };
  const issueJson = (issue: JiraIssue, wanted: string[] | undefined) => {
    const all: Record<string, unknown> = {
      summary: issue.summary,
      description: issue.description || null,
      labels: issue.labels,
      status: statusJson(issue.status),
      issuetype: { name: issue.issueType },
      project: { key: issue.project },
    };
    const fields = wanted ? Object.fromEntries(Object.entries(all).filter(([name]) => wanted.includes(name))) : all;
    return { id: issue.id, key: issue.key, self: `${base}/rest/api/2/issue/${issue.id}`, fields };
  };
  const available = (issue: JiraIssue) =>
    transitions.filter((transition) => transition.from.length === 0 || transition.from.includes(issue.status));

  type Answer = { status: number; body?: unknown; text?: string };
  const errors = (messages: string[], fields: Record<string, string> = {}) => ({
    errorMessages: messages,
    errors: fields,
  });

  function createIssue(body: unknown): Answer {
    const fields = (body as { fields?: Record<string, unknown> } | undefined)?.fields;
    if (!fields || typeof fields !== 'object') return { status: 400, body: errors(['fields are required']) };
    const problems: Record<string, string> = {};
    const project = (fields.project as { key?: unknown } | undefined)?.key;
    const projectKey = typeof project === 'string' ? project.toUpperCase() : undefined;
    const types = projectKey ? options.projects[projectKey] : undefined;
    if (!types) problems.project = 'valid project is required';
    const issueType = (fields.issuetype as { name?: unknown } | undefined)?.name;
    if (types && (typeof issueType !== 'string' || !types.includes(issueType)))
      problems.issuetype = 'valid issue type is required';
    const summary = fields.summary;
    if (typeof summary !== 'string' || summary.trim() === '')
      problems.summary = 'You must specify a summary of the issue.';
    else if (summary.length > 255) problems.summary = 'Summary must be less than 255 characters.';
    else if (/[\r\n]/.test(summary))
      problems.summary = 'The summary is invalid because it contains newline characters.';
    const labels = fields.labels ?? [];
    if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string'))
      problems.labels = 'data was not an array';
    else {
      const spaced = (labels as string[]).find((label) => /\s/.test(label));
      if (spaced) problems.labels = `The label '${spaced}' contains spaces which is invalid.`;
    }
    if (fields.description !== undefined && fields.description !== null && typeof fields.description !== 'string')
      problems.description = 'Operation value must be a string';
    if (Object.keys(problems).length) return { status: 400, body: errors([], problems) };
    const key = projectKey as string;
    const number = (counters.get(key) ?? 0) + 1;
    counters.set(key, number);
    const issue: JiraIssue = {
      id: String(nextId++),
      key: `${key}-${number}`,
      project: key,
      issueType: issueType as string,
      summary: summary as string,
      description: (fields.description as string | undefined) ?? '',
      labels: [...new Set(labels as string[])],
      status: statuses[0]?.name ?? 'To Do',
    };
    issues.set(issue.key, issue);
    return { status: 201, body: { id: issue.id, key: issue.key, self: `${base}/rest/api/2/issue/${issue.id}` } };
  }

  function search(query: URLSearchParams): Answer {
    const jql = (query.get('jql') ?? '').trim().replace(/\s+ORDER BY key( ASC)?$/i, '');
    const fields = query
      .get('fields')
      ?.split(',')
      .map((field) => field.trim());
    const maxResults = Math.min(Number(query.get('maxResults') ?? 50) || 50, 100);
    let found: JiraIssue[];
    const label = /^labels\s*=\s*"([^"]+)"$/.exec(jql) ?? /^labels\s*=\s*([^\s"]+)$/.exec(jql);
    const keys = /^key\s+in\s*\(([^)]*)\)$/i.exec(jql);
    if (label) found = [...issues.values()].filter((issue) => issue.labels.includes(label[1] as string));
    else if (keys) {
      const wanted = (keys[1] as string).split(',').map((key) => key.trim().toUpperCase());
      found = [...issues.values()].filter((issue) => wanted.includes(issue.key));
    } else return { status: 400, body: errors([`Error in the JQL Query: the harness does not understand '${jql}'.`]) };
    found.sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
    return {
      status: 200,
      body: {
        startAt: 0,
        maxResults,
        total: found.length,
        issues: found.slice(0, maxResults).map((issue) => issueJson(issue, fields)),
      },
    };
  }

  function route(method: string, url: URL, body: unknown): Answer {
    const path = url.pathname;
    if (method === 'POST' && path === '/rest/api/2/issue') return createIssue(body);
    if (method === 'GET' && path === '/rest/api/2/search') return search(url.searchParams);
    const issuePath = /^\/rest\/api\/2\/issue\/([^/]+)(\/transitions)?$/.exec(path);
    if (!issuePath) return { status: 404, body: errors(['null for uri: ' + url.href]) };
    const idOrKey = decodeURIComponent(issuePath[1] as string).toUpperCase();
    const issue = issues.get(idOrKey) ?? [...issues.values()].find((candidate) => candidate.id === idOrKey);
    if (!issue) return { status: 404, body: errors([NOT_FOUND]) };
    if (!issuePath[2] && method === 'GET')
      return { status: 200, body: issueJson(issue, url.searchParams.get('fields')?.split(',')) };
    if (issuePath[2] && method === 'GET')
      return {
        status: 200,
        body: {
          expand: 'transitions',
          transitions: available(issue).map((transition) => ({
            id: transition.id,
            name: transition.name,
            to: statusJson(transition.to),
          })),
        },
      };
    if (issuePath[2] && method === 'POST') {
      const id = (body as { transition?: { id?: unknown } } | undefined)?.transition?.id;
      if (id === undefined) return { status: 400, body: errors(['Missing transition id.']) };
      const transition = available(issue).find((candidate) => candidate.id === String(id));
      if (!transition)
        return { status: 400, body: errors([`Transition id '${String(id)}' is not valid for this issue.`]) };
      issue.status = transition.to;
      return { status: 204 };
    }
    return { status: 405, text: '' };
  }

  const expectedAuth = `Basic ${Buffer.from(`${options.user}:${options.apiToken}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const method = req.method ?? 'GET';
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let answer: Answer;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const fault = faults.find(
        (candidate) => candidate.method === method && url.pathname.startsWith(candidate.prefix),
      );
      if (req.headers.authorization !== expectedAuth)
        answer = { status: 401, text: 'Client must be authenticated to access this resource.' };
      else if (fault) {
        fault.left -= 1;
        if (fault.left <= 0) faults.splice(faults.indexOf(fault), 1);
        answer = { status: fault.status, body: fault.body };
      } else if (text && body === undefined && method === 'POST')
        answer = { status: 400, body: errors(['Unexpected character in the request body: not JSON.']) };
      else answer = route(method, url, body);
      requests.push({ method, path: url.pathname + url.search, status: answer.status, body });
      if (answer.body !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'application/json;charset=UTF-8' });
        res.end(JSON.stringify(answer.body));
      } else {
        res.writeHead(answer.status, answer.text ? { 'content-type': 'text/plain;charset=UTF-8' } : {});
        res.end(answer.text ?? '');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    issues,
    requests,
    setStatus(key, status) {
      const issue = issues.get(key);
      if (!issue) throw new Error(`no issue ${key}`);
      statusJson(status);
      issue.status = status;
    },
    failNext(method, pathPrefix, answer, count = 1) {
      faults.push({ method, prefix: pathPrefix, status: answer.status, body: answer.body, left: count });
    },
    deleteIssue(key) {
      issues.delete(key);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
