// Summarizes a V8 .cpuprofile (npx tsx bench/tunnel/summarize-profile.ts <file> [top]): self time by
// function and by where the code lives (grpc-js, protobufjs, node internals, our code, native).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function category(url: string, functionName: string): string {
  if (url.includes('@grpc/grpc-js')) return 'grpc-js';
  if (url.includes('protobufjs') || url.includes('@protobufjs')) return 'protobufjs';
  if (url.includes('/controller/src/') || url.includes('/agent/src/')) return 'tunnel code';
  if (url.includes('node_modules')) return 'other modules';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  if (url === '') return functionName === '(idle)' || functionName === '(program)' ? functionName : 'native';
  return 'other';
}

const file = process.argv[2];
if (!file) throw new Error('usage: summarize-profile.ts <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? '30');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

const byFunction = new Map<string, number>();
const byCategory = new Map<string, number>();
let totalUs = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') continue;
  totalUs += us;
  const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/main\//, '');
  const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const group = category(url, functionName);
  byCategory.set(group, (byCategory.get(group) ?? 0) + us);
}
const percent = (us: number): string => `${((100 * us) / totalUs).toFixed(1).padStart(5)} %`;
process.stdout.write(`busy ${(totalUs / 1000).toFixed(0)} ms\n-- by category\n`);
for (const [name, us] of [...byCategory].sort((a, b) => b[1] - a[1]))
  process.stdout.write(`${percent(us)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
process.stdout.write('-- by function (self)\n');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${percent(us)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
