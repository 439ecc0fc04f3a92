// The header of raw lines found from the lines themselves: generated layouts of the common kinds (no corpus
// lines), each with messages of several shapes.
import { createRandom } from '../domain/random';
import { detectHeader, detectHeaders, messageOf } from './header';
import { maskLine } from './tokenize';

const MESSAGES = [
  'session opened for user alice',
  'connection closed by peer: reset',
  'cache hit ratio 97 percent',
  'job finished in 120 ms',
  'error: cannot reach backend db-3',
  'retrying request after timeout',
];

/** `count` lines made by `line(i, message)`, masked as the comparison keeps them. */
function masked(count: number, line: (i: number, message: string, int: (n: number) => number) => string): string[] {
  const random = createRandom(count);
  const int = (n: number) => Math.floor(random.next() * n);
  return Array.from({ length: count }, (_, i) => maskLine(line(i, `${MESSAGES[i % MESSAGES.length]} ${i}`, int)));
}

const PROGRAMS = ['sshd', 'crond', 'kernel', 'ntpd', 'postfix/smtpd', 'Microsoft Word'];
const THREADS = ['main', 'IPC Server handler 3 on 8020', 'RMCommunicator Allocator', 'pool-1-thread-2'];
const LEVELS = ['INFO', 'WARN', 'ERROR', 'DEBUG'];

const layouts: Record<string, { lines: string[]; kind: string }> = {
  syslog: {
    kind: 'colon',
    lines: masked(60, (i, m, int) => {
      const program = PROGRAMS[int(PROGRAMS.length)]!;
      return `Jul ${1 + int(28)} 10:${10 + int(50)}:00 host-${int(9)} ${program}${program === 'kernel' ? '' : `[${int(9999)}]`}: ${m}`;
    }),
  },
  log4j: {
    kind: 'colon',
    lines: masked(60, (i, m, int) => {
      const thread = THREADS[int(THREADS.length)]!;
      return `2026-12-07 06:${10 + int(50)}:01,${int(999)} ${LEVELS[int(4)]} [${thread}] org.example.app.Worker${int(3)}: ${m}`;
    }),
  },
  // Spring Boot's console layout: a padded thread in brackets, a padded logger name, then a lone `:`.
  springBoot: {
    kind: 'colon',
    lines: masked(60, (i, m, int) => {
      const thread = ['main', 'nio-8080-exec-1', 'scheduling-1'][int(3)]!.padStart(15);
      const logger = ['c.a.orders.web.OrderController', 'o.s.b.w.e.tomcat.TomcatWebServer'][int(2)]!.padEnd(40);
      return `2026-12-07 10:38:${10 + int(50)}.${100 + int(899)} ${LEVELS[int(4)]!.padStart(5)} 1 --- [${thread}] ${logger}: ${m}`;
    }),
  },
  dashes: {
    kind: 'dash',
    lines: masked(
      60,
      (i, m, int) => `2026-12-07 06:00:0${int(9)},1 - ${LEVELS[int(4)]} [Listener:${int(9)}@${int(99)}] - ${m}`,
    ),
  },
  brackets: {
    kind: 'bracket',
    lines: masked(
      60,
      (i, m, int) => `[Sun Dec 04 0${int(9)}:47:44 2005] [${['notice', 'error', 'warn'][int(3)]}] ${m}`,
    ),
  },
  pipes: {
    kind: 'bar',
    lines: masked(
      60,
      (i, m, int) => `20171223-22:15:${int(59)}|Step_${['LSC', 'SPUtils', 'ExtSDM'][int(3)]}|300${int(99)}|${m}`,
    ),
  },
  // A level mid-line after fixed columns (label, time, node, time, node, source, component), no delimiter.
  levelColumn: {
    kind: 'level',
    lines: masked(60, (i, m, int) => {
      const node = `R${int(9)}${int(9)}-M${int(2)}-N${int(9)}-C:J${int(9)}${int(9)}-U${int(9)}${int(9)}`;
      const source = ['RAS KERNEL', 'RAS APP', 'NULL DISCOVERY'][int(3)];
      const level = ['INFO', 'FATAL', 'ERROR', 'WARNING'][int(4)];
      return `- ${1117838570 + i} 2005.06.0${1 + int(9)} ${node} 2005-06-03-15.42.${int(60)}.${int(999999)} ${node} ${source} ${level} ${m}`;
    }),
  },
  columns: {
    kind: 'columns',
    lines: masked(
      60,
      (i, m, int) => `${1000 + i} node-${int(99)} ${['unix.hw', 'switch', 'node'][int(3)]} ${1097194780 + i} 1 ${m}`,
    ),
  },
};

describe('header of raw log lines', () => {
  it.each(Object.entries(layouts))('finds the %s layout and cuts every line to its message', (_, layout) => {
    const rule = detectHeader(new Set(layout.lines));
    expect(rule?.kind).toBe(layout.kind);
    for (const [i, line] of layout.lines.entries()) {
      const message = maskLine(`${MESSAGES[i % MESSAGES.length]} ${i}`);
      expect(messageOf(line, rule)).toBe(message);
    }
  });

  it('keeps lines without a header whole, even when one frequent message has a number in a fixed place', () => {
    // As the comparison gives them: each distinct masked text once.
    const plain = new Set(
      masked(600, (i) =>
        i % 10 === 0
          ? `${MESSAGES[(i / 10) % MESSAGES.length]} on shard ${'abcd'[(i / 10) % 4]}`
          : `GET /orders/${i} 200 in ${i % 40} ms`,
      ),
    );
    expect(plain.size).toBeGreaterThan(10);
    expect(detectHeader(plain)).toBeUndefined();
    // A message with a colon in some lines is not a header either.
    expect(detectHeader(new Set(masked(60, (i, m) => `${m} on shard ${'abcd'[i % 4]}`)))).toBeUndefined();
    // Nor are level words that most messages (but not nearly all) mention, here and there.
    const mentions = new Set(
      masked(60, (i, m) =>
        i % 5 === 0 ? m : `retry ${i % 7 === 0 ? 'after' : 'on'} warning from shard ${'abcd'[i % 4]} ${i}`,
      ),
    );
    expect(detectHeader(mentions)).toBeUndefined();
  });

  it('needs a few distinct lines to tell a layout, and keeps a line without the delimiter whole', () => {
    expect(detectHeader(new Set(layouts.syslog!.lines.slice(0, 9)))).toBeUndefined();
    const rule = detectHeader(new Set(layouts.syslog!.lines))!;
    expect(messageOf('a line with no header', rule)).toBe('a line with no header');
    expect(messageOf('sshd[<*>]:', rule)).toBe('sshd[<*>]:');
  });

  it('finds the header of each layout a log interleaves (access lines and the server’s own), by the first token', () => {
    const access = layouts.columns!.lines;
    const server = layouts.brackets!.lines.slice(0, 20);
    const headerOf = detectHeaders([...access, ...server]);
    for (const [i, line] of access.entries())
      expect(messageOf(line, headerOf(line))).toBe(maskLine(`${MESSAGES[i % MESSAGES.length]} ${i}`));
    for (const [i, line] of server.entries())
      expect(messageOf(line, headerOf(line))).toBe(maskLine(`${MESSAGES[i % MESSAGES.length]} ${i}`));
    // A layout with too few distinct lines of its own takes the rule of the whole log.
    const few = layouts.brackets!.lines.slice(0, 5);
    const whole = detectHeader([...access, ...few]);
    expect(detectHeaders([...access, ...few])(few[0]!)).toEqual(whole);
  });
});
