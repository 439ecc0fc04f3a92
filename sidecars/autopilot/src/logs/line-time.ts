// When a log line was written, read from the line itself: a log provider returns lines as text, and the
// burst test (decision 247) needs to know when a cluster's events came, not only how many. Only the usual
// layouts are read, each validated; a line whose time is not found is untimed, never guessed. Times are
// seconds on a scale of their own: a layout without a year (syslog) is put in one fixed year, so only
// differences between lines of one layout mean anything, which is all a sliding window needs.

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** The year given to a layout that writes none. */
const NO_YEAR = 2000;
/** Where a line's time is looked for: its head (a field named for the time may come later in a JSON line). */
const HEAD_CHARS = 80;
/** How far into a line a time field is looked for. */
const FIELD_CHARS = 1000;

type Parts = [year: number, month: number, day: number, hour: number, minute: number, second: number];
type Clock = [hour: number, minute: number, second: number];

// Most layouts write the time of day as `H:M:S`: it is found with one scan of the head, and the date is read
// from the text just before it by the layouts below (anchored at that end, so each is a short test).
const TIME_OF_DAY = /(?<![\d.])(\d{1,2}):(\d{1,2}):(\d{1,2})(?![\d])/;
const DATES: { pattern: RegExp; date: (m: RegExpExecArray) => [year: number, month: number, day: number] }[] = [
  // ISO 8601 and its relatives: `2015-07-29 17:41:44,747`, `2026-12-07T10:00:00Z`, `2026/12/07 10:00:00`.
  { pattern: /(?<!\d)(\d{4})[-/](\d\d)[-/](\d\d)[T ]$/, date: (m) => [+m[1]!, +m[2]!, +m[3]!] },
  // `20171223-22:15:29:606`, also unpadded (`20171223-22:16:0:119`).
  { pattern: /^(\d{4})(\d\d)(\d\d)-$/, date: (m) => [+m[1]!, +m[2]!, +m[3]!] },
  // `17/06/09 20:10:40` (log4j's yy/MM/dd).
  { pattern: /^(\d\d)\/(\d\d)\/(\d\d) $/, date: (m) => [2000 + +m[1]!, +m[2]!, +m[3]!] },
  // Android's `03-17 16:13:38.811`.
  { pattern: /^(\d\d)-(\d\d) +$/, date: (m) => [NO_YEAR, +m[1]!, +m[2]!] },
  // klog's `I1207 10:00:00.123456`.
  { pattern: /^[IWEF](\d\d)(\d\d) $/, date: (m) => [NO_YEAR, +m[1]!, +m[2]!] },
  // Access logs' `[07/Dec/2026:10:00:00 +0000]`.
  {
    pattern: new RegExp(`(?<!\\d)(\\d\\d)/${MONTH}/(\\d{4}):$`),
    date: (m) => [+m[3]!, MONTHS[m[2]!.toLowerCase()]!, +m[1]!],
  },
  // syslog's `Dec 10 06:55:46`, Apache's `[Sun Dec 04 04:47:44 2005]`.
  {
    pattern: new RegExp(`(?<![A-Za-z])${MONTH} +(\\d{1,2}) $`),
    date: (m) => [NO_YEAR, MONTHS[m[1]!.toLowerCase()]!, +m[2]!],
  },
];
// Layouts whose time of day has no colons.
const OTHER_LAYOUTS: { pattern: RegExp; parts: (m: RegExpExecArray) => Parts }[] = [
  // `081109 203615` (yyMMdd HHmmss).
  {
    pattern: /^(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d)(?!\d)/,
    parts: (m) => [2000 + +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!],
  },
  // IBM's `2005-06-03-15.42.50.675872` (BGL).
  {
    pattern: /(?<!\d)(\d{4})-(\d\d)-(\d\d)-(\d\d)\.(\d\d)\.(\d\d)/,
    parts: (m) => [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!],
  },
];

// A JSON or logfmt line's time field, anywhere in the line: `"ts":1733565600.12`, `time="2026-12-07T10:00:00Z"`.
const TIME_FIELD = /(?:^|[\s{,])"?(?:@?timestamp|time|ts|t)"?\s*[:=]\s*(?:"([^"]{10,40})"|(\d{9,19}(?:\.\d+)?))/;

function seconds([year, month, day, hour, minute, second]: Parts): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
}

function layoutSeconds(text: string): number | undefined {
  const clock = TIME_OF_DAY.exec(text);
  if (clock) {
    const before = text.slice(Math.max(0, clock.index - 24), clock.index);
    const time: Clock = [+clock[1]!, +clock[2]!, +clock[3]!];
    for (const { pattern, date } of DATES) {
      const match = pattern.exec(before);
      if (match) return seconds([...date(match), ...time]);
    }
  }
  for (const layout of OTHER_LAYOUTS) {
    const match = layout.pattern.exec(text);
    if (match) return seconds(layout.parts(match));
  }
  return undefined;
}

/** An epoch number in seconds, milliseconds, microseconds or nanoseconds (by its size), as seconds. */
function epochSeconds(value: number): number {
  let scaled = value;
  while (scaled >= 1e11) scaled /= 1000;
  return Math.floor(scaled);
}

/** The second a line was written (on its layout's own scale), or undefined when its time is not read. */
export function lineSeconds(line: string): number | undefined {
  const head = layoutSeconds(line.slice(0, HEAD_CHARS));
  if (head !== undefined) return head;
  // Only a line that names its fields (JSON, logfmt) has one: the scan is not made on every other line.
  if (line.charCodeAt(0) !== 123 /* { */ && !line.slice(0, HEAD_CHARS).includes('=')) return undefined;
  const field = TIME_FIELD.exec(line.slice(0, FIELD_CHARS));
  if (!field) return undefined;
  return field[1] !== undefined ? layoutSeconds(field[1]) : epochSeconds(Number(field[2]));
}
