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
