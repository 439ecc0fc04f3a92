// Splunk contract harness: the search jobs REST API as Splunk's REST API reference describes it
// (https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTsearch): POST /services/search/jobs
// (form fields `search`, `earliest_time`, `latest_time` in epoch seconds, `output_mode=json`) answers 201
// `{sid}`; GET /services/search/jobs/{sid} answers `{entry: [{content: {dispatchState, isDone, isFailed,
// messages}}]}`, QUEUED/RUNNING first; GET …/{sid}/results with `offset` and `count` answers `{results:
// [{_raw, _time}]}`; DELETE …/{sid} removes the job; a bad token is 401, an unknown sid 404, and a search
// Splunk cannot parse is a 400 with `{messages: [{type: "FATAL", text}]}`.
// SPL here: `search` followed by `field=value` (or `field="value"`) terms and bare words, optionally
// `| sort 0 _time`; events are {fields, _raw, time (ms)}.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SplunkEvent {
  fields: Record<string, string>;
  raw: string;
  timeMs: number;
}

export interface SplunkHarness {
  url: string;
  token: string;
  /** Polls of a job before it is DONE (RUNNING until then). */
  pollsUntilDone: number;
  jobs: Map<string, { polls: number; results: SplunkEvent[]; deleted: boolean }>;
  add(events: SplunkEvent[]): void;
  close(): Promise<void>;
}

function parseSearch(search: string): (e: SplunkEvent) => boolean {
  const [main, ...pipes] = search.split('|').map((s) => s.trim());
  for (const pipe of pipes)
    if (!/^sort 0 _time$/.test(pipe)) throw new Error(`Unknown search command '${pipe.split(' ')[0]}'.`);
  const m = /^search\s+(.*)$/.exec(main ?? '');
  if (!m) throw new Error(`Error in 'search' command: Unable to parse the search: ${main}`);
  const terms = m[1]!.match(/[A-Za-z_.]+="[^"]*"|\S+/g) ?? [];
  const tests = terms.map((term) => {
    const kv = /^([A-Za-z_.]+)=(?:"([^"]*)"|(.*))$/.exec(term);
    if (kv) return (e: SplunkEvent) => e.fields[kv[1]!] === (kv[2] ?? kv[3]);
    if (term.startsWith('(') && !term.endsWith(')'))
      throw new Error(`Error in 'search' command: Mismatched parentheses.`);
    return (e: SplunkEvent) => e.raw.includes(term);
  });
  return (e) => tests.every((t) => t(e));
}

export async function startSplunkHarness(token = 'harness-token'): Promise<SplunkHarness> {
  const events: SplunkEvent[] = [];
  let nextSid = 1;
  const harness: SplunkHarness = {
    url: '',
    token,
    pollsUntilDone: 2,
    jobs: new Map(),
    add: (more) => events.push(...more),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const json = (response: http.ServerResponse, status: number, body: unknown) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const auth = request.headers.authorization ?? '';
      if (auth !== `Bearer ${token}` && auth !== `Splunk ${token}`) {
        json(response, 401, { messages: [{ type: 'WARN', text: 'call not properly authenticated' }] });
        return;
      }
      const url = new URL(request.url ?? '/', 'http://splunk');
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (request.method === 'POST' && url.pathname === '/services/search/jobs') {
        let test: (e: SplunkEvent) => boolean;
        try {
          test = parseSearch(form.get('search') ?? '');
        } catch (error) {
          json(response, 400, { messages: [{ type: 'FATAL', text: (error as Error).message }] });
          return;
        }
        const earliest = Number(form.get('earliest_time') ?? '0') * 1000;
        const latest = Number(form.get('latest_time') ?? String(Date.now() / 1000)) * 1000;
        const results = events
          .filter((e) => e.timeMs >= earliest && e.timeMs < latest && test(e))
          .sort((a, b) => a.timeMs - b.timeMs);
        const sid = `harness.${nextSid++}`;
        harness.jobs.set(sid, { polls: 0, results, deleted: false });
        json(response, 201, { sid });
        return;
      }
      const job = /^\/services\/search\/jobs\/([^/]+)(\/results)?$/.exec(url.pathname);
      const entry = job && harness.jobs.get(decodeURIComponent(job[1]!));
      if (!job || !entry || entry.deleted) {
        json(response, 404, { messages: [{ type: 'ERROR', text: 'Unknown sid.' }] });
        return;
      }
      if (request.method === 'DELETE' && !job[2]) {
        entry.deleted = true;
        json(response, 200, { messages: [{ type: 'INFO', text: 'Search job cancelled.' }] });
      } else if (request.method === 'GET' && !job[2]) {
        entry.polls++;
        const done = entry.polls > harness.pollsUntilDone;
        json(response, 200, {
          entry: [
            {
              content: {
                dispatchState: done ? 'DONE' : 'RUNNING',
                isDone: done,
                isFailed: false,
                resultCount: entry.results.length,
              },
            },
          ],
        });
      } else if (request.method === 'GET' && job[2]) {
        if (entry.polls <= harness.pollsUntilDone) {
          json(response, 204, {});
          return;
        }
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const count = Number(url.searchParams.get('count') ?? 100);
        const page = entry.results.slice(offset, count === 0 ? undefined : offset + count);
        json(response, 200, {
          results: page.map((e) => ({ _raw: e.raw, _time: new Date(e.timeMs).toISOString(), ...e.fields })),
        });
      } else {
        json(response, 405, { messages: [{ type: 'ERROR', text: 'Method not allowed.' }] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  harness.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return harness;
}
