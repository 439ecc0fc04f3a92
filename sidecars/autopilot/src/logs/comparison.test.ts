// Log comparison on logs unlike the Java/OpsMx-style lines analysis.test.ts uses: syslog-style lines with a
// host and a lower-case `error:`, Windows-style `Warning`, a FATAL level that healthy systems also log. The
// fixtures are generated here (no lines copied from any corpus); what they check was found by splitting
// Loghub's BGL, HPC, Linux, Mac, OpenStack, Proxifier, Thunderbird and Windows logs into a baseline and a
// canary (bench/README.md, "Log comparison on other logs").
import { createRandom } from '../domain/random';
import { analyzeLogs } from './analysis';
import { topicClassifier } from './topics';

/**
 * Syslog-style lines of one July day, `Jul DD HH:MM:SS host daemon[pid]: message`, seeded so each run is the
 * same; `extra(i)` replaces line i's daemon and message.
 */
function syslog(host: string, seed: number, count: number, extra: (i: number) => string | undefined = () => undefined) {
  const random = createRandom(seed);
  const int = (n: number) => Math.floor(random.next() * n);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const stamp = `Jul ${1 + int(28)} ${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}`;
    const pid = 100 + int(30000);
    const roll = int(100);
    const event =
      extra(i) ??
      (roll < 40
        ? `sshd[${pid}]: session opened for user u${int(50)}x by (uid=${int(1000)})`
        : roll < 70
          ? `sshd[${pid}]: connection from 10.${int(255)}.${int(255)}.${int(255)} port ${1024 + int(60000)}`
          : roll < 90
            ? `crond[${pid}]: job ${int(9000)} finished in ${int(5000)} ms`
            : roll < 97
              ? `xinetd[${pid}]: warning: can't get client address: connection reset by peer`
              : `kernel: error: lost carrier on eth${int(2)}`);
    lines.push(`${stamp} ${host} ${event}`);
  }
  return lines;
}

const unexpected = (analysis: ReturnType<typeof analyzeLogs>) =>
  analysis.clusters.filter((c) => c.unexpected).map((c) => `${c.kind} ${c.topic}: ${c.template}`);

describe('log comparison on logs of other shapes', () => {
  it('scores lower-case and capitalised levels (`error:`, `Warning`) as ERROR and WARN', () => {
    const classifier = topicClassifier();
    expect(classifier.classify('sshd[12]: error: lost carrier').topic).toBe('ERROR');
    expect(classifier.classify('2016-09-28 04:30:31, Warning CBS failed to upload').topic).toBe('WARN');
    expect(classifier.classify('[warn] mod_jk child in error state 6').topic).toBe('ERROR');
    // Whole words only, and `disableDefaults` drops them with the other defaults.
    expect(classifier.classify('errors=0 warnings=0 terror of the skies').topic).toBe('INFO');
    expect(topicClassifier({ disableDefaults: true }).classify('error: lost carrier').topic).toBe('INFO');
  });

  it('passes a healthy canary on another host: host names tell the sides apart, not the events', () => {
    const analysis = analyzeLogs(syslog('apollo', 1, 600), syslog('zeus', 2, 600));
    expect(unexpected(analysis)).toEqual([]);
    expect(analysis).toMatchObject({ score: 100, failed: false });
    const error = analysis.clusters.find((c) => c.template.includes('lost carrier'))!;
    expect(error).toMatchObject({ topic: 'ERROR', kind: 'both' });
    expect(error.baselineCount).toBeGreaterThan(0);
  });

  it('still tells events apart by a word both sides share (a state), on different hosts', () => {
    const state = (i: number) =>
      i % 10 === 0 ? `libvirtd[7]: vm ${i} state ${['started', 'stopped'][(i / 10) % 2]}` : undefined;
    const canaryState = (i: number) =>
      i % 10 === 0 ? `libvirtd[7]: vm ${i} state ${['started', 'stopped', 'crashed'][(i / 10) % 3]}` : undefined;
    const analysis = analyzeLogs(syslog('apollo', 3, 600, state), syslog('zeus', 4, 600, canaryState), {
      topics: { rules: [{ string: 'crashed', topic: 'ERROR' }] },
    });
    expect(unexpected(analysis)).toEqual([expect.stringMatching(/^canary-only ERROR: vm <\*> state crashed$/)]);
  });

  it('finds a new lower-case error in the canary, and a burst of an existing warning', () => {
    const baseline = syslog('web', 5, 800);
    const newError = syslog('web', 6, 800, (i) =>
      i % 100 === 7 ? `httpd[${i}]: error: cannot allocate ${4096 * i} bytes for queue ${i % 3}` : undefined,
    );
    const fresh = analyzeLogs(baseline, newError);
    expect(unexpected(fresh)).toEqual([
      expect.stringMatching(/^canary-only ERROR: .*error: cannot allocate <\*> bytes for queue <\*>$/),
    ]);
    expect(fresh.score).toBeLessThan(80);

    const burst = syslog('web', 6, 800, (i) =>
      i % 8 === 0 ? `xinetd[${i}]: warning: can't get client address: connection reset by peer` : undefined,
    );
    const grown = analyzeLogs(baseline, burst);
    expect(unexpected(grown)).toEqual([expect.stringMatching(/^increased WARN: .*warning: can't get client address/)]);
    expect(grown.score).toBeLessThan(100);
  });

  it('does not fail a healthy canary whose FATAL template doubled by chance (1 and 3 lines)', () => {
    const fatal = (at: readonly number[]) => (i: number) =>
      at.includes(i) ? `kernel: FATAL machine check interrupt on node ${i % 4}` : undefined;
    const analysis = analyzeLogs(syslog('bg', 7, 800, fatal([400])), syslog('bg', 8, 800, fatal([100, 300, 500])));
    expect(analysis.clusters.find((c) => c.topic === 'CRITICAL')).toMatchObject({
      baselineCount: 1,
      canaryCount: 3,
      kind: 'both',
      critical: false,
    });
    expect(analysis.failed).toBe(false);
  });

  it('names clusters by the message, so a new error logged under different headers is one cluster (decision 186)', () => {
    // log4j-style lines: time, level, thread, component, then the message.
    const log4j = (seed: number, count: number, extra: (i: number) => string | undefined = () => undefined) => {
      const random = createRandom(seed);
      const int = (n: number) => Math.floor(random.next() * n);
      const threads = ['main', 'IPC Server handler 3', 'pool-1-thread-2', 'RMCommunicator Allocator'];
      return Array.from({ length: count }, (_, i) => {
        const header = `2026-12-07 06:${10 + int(50)}:0${int(9)},${100 + int(899)} ${['INFO', 'WARN'][int(2)]} [${threads[int(4)]}] org.example.${['Worker', 'Scheduler', 'Cache'][int(3)]}:`;
        const roll = int(100);
        const message =
          extra(i) ??
          (roll < 60
            ? `task ${int(500)} finished in ${int(900)} ms`
            : roll < 90
              ? `lease renewed for block ${int(9000)}`
              : `slow response from peer ${int(9)} after ${int(5000)} ms`);
        return `${header} ${message}`;
      });
    };
    const analysis = analyzeLogs(
      log4j(11, 800),
      log4j(12, 800, (i) =>
        i % 150 === 3 ? `error: cannot allocate ${4096 * i} bytes for queue ${i % 3}` : undefined,
      ),
    );
    expect(unexpected(analysis)).toEqual(['canary-only ERROR: error: cannot allocate <*> bytes for queue <*>']);
    expect(analysis.clusters.find((c) => c.unexpected)).toMatchObject({ canaryCount: 6 });
    expect(analysis.clusters.find((c) => c.template === 'task <*> finished in <*> ms')).toMatchObject({ kind: 'both' });
  });

  it('cuts a header whose level sits mid-line after fixed columns, so a new error at several levels and nodes is one cluster', () => {
    // Fixed columns with no delimiter: label, epoch, date, node, time, node, source, component, level, message.
    const ROUTINE = ['generating core', 'shutdown complete', 'idle loop entered', 'torus links trained', 'boot ok'];
    const columns = (seed: number, count: number, extra: (i: number) => string | undefined = () => undefined) => {
      const random = createRandom(seed);
      const int = (n: number) => Math.floor(random.next() * n);
      return Array.from({ length: count }, (_, i) => {
        const node = `R${int(8)}${int(8)}-M${int(2)}-N${int(8)}-C:J${int(8)}${int(8)}-U${int(8)}${int(8)}`;
        const roll = int(100);
        const [source, level, message] =
          roll < 40
            ? ['RAS KERNEL', 'INFO', `${ROUTINE[int(ROUTINE.length)]} ${int(900)}`]
            : roll < 60
              ? ['RAS KERNEL', 'INFO', 'instruction cache parity error corrected']
              : roll < 80
                ? ['RAS APP', 'FATAL', `ciod: failed to read message prefix on control stream ${int(64)}`]
                : roll < 95
                  ? ['RAS KERNEL', ['INFO', 'FATAL'][int(2)], `${int(900)} double-hummer alignment exceptions`]
                  : ['NULL DISCOVERY', 'WARNING', 'Node card is not fully functional'];
        const line = extra(i);
        return `- ${1117838570 + i} 2005.06.03 ${node} 2005-06-03-15.42.${10 + int(50)}.${100000 + int(899999)} ${node} ${line ?? `${source} ${level} ${message}`}`;
      });
    };
    const analysis = analyzeLogs(
      columns(21, 800),
      columns(22, 800, (i) =>
        i % 150 === 3 ? `RAS KERNEL ${['INFO', 'ERROR'][i % 2]} error: cannot allocate ${4096 * i} bytes` : undefined,
      ),
    );
    expect(unexpected(analysis)).toEqual(['canary-only ERROR: error: cannot allocate <*> bytes']);
    expect(analysis.clusters.find((c) => c.unexpected)).toMatchObject({ canaryCount: 6 });
    expect(analysis.clusters.find((c) => c.template === 'instruction cache parity error corrected')).toMatchObject({
      kind: 'both',
    });
  });
});

/**
 * JSON lines of a Node or Go service, seeded: requests, cache misses, some slow queries and declined payments.
 * `order` gives the key order the serializer writes (zap keeps its own, logrus sorts them).
 */
function jsonLines(
  seed: number,
  count: number,
  order: 'written' | 'sorted' = 'written',
  level: (name: string) => string | number = (name) => name,
) {
  const random = createRandom(seed);
  const int = (n: number) => Math.floor(random.next() * n);
  return Array.from({ length: count }, (_, i) => {
    const roll = int(100);
    const fields: Record<string, unknown> =
      roll < 70
        ? { level: level('info'), ts: 1733 + i, msg: 'request served', path: `/orders/${int(9000)}`, ms: int(300) }
        : roll < 90
          ? { level: level('info'), ts: 1733 + i, msg: 'cache miss', key: `catalog:${int(400)}` }
          : roll < 96
            ? { level: level('warn'), ts: 1733 + i, msg: 'slow query', table: 'orders', ms: 1000 + int(3000) }
            : { level: level('error'), ts: 1733 + i, msg: 'payment declined', order: int(99999), code: int(7) };
    const entries = Object.entries(fields);
    if (order === 'sorted') entries.sort(([a], [b]) => (a < b ? -1 : 1));
    return JSON.stringify(Object.fromEntries(entries));
  });
}

const PINO_LEVELS: Record<string, number> = { info: 30, warn: 40, error: 50 };

describe('log comparison on lines that name their fields (decision 220)', () => {
  it('finds a new error in pino or bunyan lines, whose level is a number', () => {
    const pino = (name: string) => PINO_LEVELS[name]!;
    const canary = jsonLines(2, 600, 'written', pino);
    for (let i = 0; i < 5; i++)
      canary.splice(
        100 * i + 7,
        0,
        JSON.stringify({ level: 50, time: 1, msg: 'cannot allocate request queue', queue: i }),
      );
    const analysis = analyzeLogs(jsonLines(1, 600, 'written', pino), canary);
    expect(unexpected(analysis)).toEqual(['canary-only ERROR: ERROR cannot allocate request queue']);
    expect(analysis.score).toBeLessThan(80);
  });

  it('finds a new error in klog lines by their level letter', () => {
    const klog = (seed: number, count: number) => {
      const random = createRandom(seed);
      const int = (n: number) => Math.floor(random.next() * n);
      return Array.from({ length: count }, (_, i) => {
        const stamp = `1207 10:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}.${100000 + int(899999)}`;
        return int(10) < 9
          ? `I${stamp}       1 controller.go:${120 + (i % 3)}] "Reconciling" deployment="shop/web-${int(9)}" generation=${int(90)}`
          : `W${stamp}       1 request.go:668] Waited for ${int(3)}.${int(9)}s due to client-side throttling`;
      });
    };
    const canary = klog(2, 600);
    for (let i = 0; i < 5; i++)
      canary.splice(100 * i + 3, 0, `E1207 10:00:0${i}.123456       1 cache.go:77] failed to allocate queue ${i}`);
    const analysis = analyzeLogs(klog(1, 600), canary);
    expect(unexpected(analysis)).toEqual(['canary-only ERROR: ERROR failed to allocate queue <*>']);
  });

  it('reads the level from its field: an `error` key on an info line is no error, and key order is no new event', () => {
    // The canary's serializer sorts the keys; it also logs a retry at info level with the error that caused it.
    const canary = jsonLines(2, 600, 'sorted');
    for (let i = 0; i < 5; i++)
      canary.splice(100 * i + 5, 0, JSON.stringify({ error: 'timeout', level: 'info', msg: 'retry scheduled', ts: i }));
    const analysis = analyzeLogs(jsonLines(1, 600), canary);
    expect(unexpected(analysis)).toEqual([]);
    expect(analysis.score).toBe(100);
    expect(analysis.clusters.find((c) => c.template === 'ERROR payment declined')).toMatchObject({ kind: 'both' });
    expect(analysis.clusters.find((c) => c.template.startsWith('INFO retry scheduled'))).toMatchObject({
      topic: 'INFO',
      kind: 'canary-only',
    });
  });

  it('survives bad lines: a megabyte line, invalid JSON that starts with `{`, deep nesting, bytes that are not UTF-8', () => {
    const healthy = jsonLines(1, 300);
    const bad = [
      `{"level":"error","msg":"${'a b '.repeat(250_000)}"}`,
      `${'x '.repeat(500_000)}`,
      '{"level":"error","msg":"cut short',
      '{"level": error}',
      `{"level":"info","msg":"deep","a":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
      `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`,
      Buffer.from([0x7b, 0x22, 0x6d, 0x73, 0x67, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('utf8'),
      'level=info msg="\ud800 lone surrogate"',
    ];
    const analysis = analyzeLogs(healthy, [...jsonLines(2, 300), ...bad]);
    expect(analysis.canaryEvents).toBe(300 + bad.length);
    // Every bad line is an event of its own; none is lost or merged into the healthy ones.
    const counted = analysis.clusters.reduce((sum, c) => sum + c.canaryCount, 0);
    expect(counted).toBe(300 + bad.length);
    expect(analysis.clusters.find((c) => c.template === 'INFO deep')).toMatchObject({ canaryCount: 1 });
  });

  it('finds server errors in an access log by the status after the request', () => {
    const access = (seed: number, count: number) => {
      const random = createRandom(seed);
      const int = (n: number) => Math.floor(random.next() * n);
      return Array.from({ length: count }, (_, i) => {
        const status = int(10) < 9 ? 200 : 404;
        const path = int(2) === 0 ? `/api/v1/orders/${int(9000)}` : '/healthz';
        return `10.0.${int(9)}.${int(250)} - - [07/Dec/2026:10:${String(i % 60).padStart(2, '0')}:00 +0000] "GET ${path} HTTP/1.1" ${status} ${int(9000)} "-" "kube-probe/1.31"`;
      });
    };
    const canary = access(2, 600);
    for (let i = 0; i < 8; i++)
      canary.splice(
        70 * i + 3,
        0,
        `10.0.0.${i} - - [07/Dec/2026:10:00:0${i} +0000] "GET /api/v1/orders/${i} HTTP/1.1" 503 0 "-" "curl/8.0"`,
      );
    const analysis = analyzeLogs(access(1, 600), canary);
    expect(unexpected(analysis)).toEqual(['canary-only ERROR: ERROR GET <*> server-failed']);
  });
});
