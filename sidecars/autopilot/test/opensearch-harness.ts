// A real single-node OpenSearch for tests (scripts/install-test-tools.sh assembles it from Maven Central),
// and seeding of log documents `{ "@timestamp", message, pod }` in one bulk request.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort, requireTool } from '@isd/test-support';

export interface LogDocument {
  at: number;
  message: string;
  pod: string;
}

export interface OpenSearchNode {
  url: string;
  /** Creates the index (2 shards, `pod` a keyword) and bulk-loads the documents, refreshed for search. */
  seed(index: string, docs: LogDocument[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startOpenSearch(): Promise<OpenSearchNode> {
  const launcher = requireTool('opensearch');
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opensearch-'));
  const [httpPort, transportPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  let output = '';
  const node: ChildProcess = spawn(launcher, [runDir, String(httpPort), String(transportPort)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  node.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  node.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const request = async (method: string, route: string, body?: string, contentType = 'application/json') => {
    const response = await fetch(new URL(route, url), {
      method,
      headers: { 'content-type': contentType },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  const stop = async () => {
    if (node.exitCode === null && node.signalCode === null) {
      const exited = new Promise((resolve) => node.once('exit', resolve));
      node.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(runDir, { recursive: true, force: true });
  };

  try {
    await eventually(
      async () => {
        if (node.exitCode !== null) throw new Error(`OpenSearch exited: ${output.slice(-2000)}`);
        const health = await request('GET', '/_cluster/health?wait_for_status=yellow&timeout=5s');
        return health.status === 'yellow' || health.status === 'green' ? true : undefined;
      },
      240_000,
      'OpenSearch answering with a yellow or green cluster',
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    stop,
    async seed(index, docs) {
      await request(
        'PUT',
        `/${index}`,
        JSON.stringify({
          settings: { number_of_shards: 2, number_of_replicas: 0 },
          mappings: {
            properties: { '@timestamp': { type: 'date' }, pod: { type: 'keyword' }, message: { type: 'text' } },
          },
        }),
      );
      const lines = docs.flatMap((d) => [
        JSON.stringify({ index: {} }),
        JSON.stringify({ '@timestamp': d.at, message: d.message, pod: d.pod }),
      ]);
      const result = await request(
        'POST',
        `/${index}/_bulk?refresh=true`,
        lines.join('\n') + '\n',
        'application/x-ndjson',
      );
      if (result.errors !== false) throw new Error(`bulk load into ${index} reported errors`);
    },
  };
}
