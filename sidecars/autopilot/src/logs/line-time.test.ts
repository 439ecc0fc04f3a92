import { lineSeconds } from './line-time';

describe('the time of a log line (decision 247)', () => {
  it('reads the usual layouts, each to the second, on one scale within a layout', () => {
    const pairs: [string, string, number][] = [
      ['2015-07-29 17:41:44,747 - WARN  [x] - a', '2015-07-29 17:42:44,001 - WARN  [x] - a', 60],
      ['2026-12-07T23:59:30.5Z stdout F {"level":"warn"}', '2026-12-08T00:00:10Z stdout F {"level":"warn"}', 40],
      ['2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO a', '2005-06-03-15.43.00.000001 R02 RAS KERNEL INFO a', 10],
      ['20171223-22:15:29:606|Step_LSC|30002312|a', '20171223-22:16:29:606|Step_LSC|30002312|a', 60],
      ['20171223-22:15:59:606|Step_LSC|30002312|a', '20171223-22:16:0:119|Step_LSC|30002312|a', 1],
      ['17/06/09 20:10:40 INFO a', '17/06/09 20:11:00 INFO a', 20],
      ['081109 203615 148 INFO dfs.DataNode: a', '081109 203715 148 INFO dfs.DataNode: a', 60],
      ['03-17 16:13:38.811  1702  2395 D WindowManager: a', '03-17 16:13:48.811  1702  2395 D WindowManager: a', 10],
      ['W1207 10:00:00.123456    1 main.go:10] a', 'W1207 10:00:30.123456    1 main.go:10] a', 30],
      [
        '1.2.3.4 - - [07/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200',
        '1.2.3.4 - - [07/Dec/2026:10:01:00 +0000] "GET /"',
        60,
      ],
      ['Dec 10 06:55:46 LabSZ sshd[24200]: a', 'Dec 10 06:56:46 LabSZ sshd[24200]: a', 60],
      ['[Sun Dec 04 04:47:44 2005] [error] a', '[Sun Dec 04 04:48:04 2005] [error] a', 20],
      ['{"level":"warn","ts":1733565600.123,"msg":"a"}', '{"level":"warn","ts":1733565660.9,"msg":"a"}', 60],
      ['{"level":50,"time":1733565600123,"msg":"a"}', '{"level":50,"time":1733565630000,"msg":"a"}', 30],
      [
        '{"@timestamp":"2026-12-07T10:00:00Z","message":"a"}',
        '{"@timestamp":"2026-12-07T10:00:45Z","message":"a"}',
        45,
      ],
      ['level=warn msg="a" time="2026-12-07T10:00:00Z"', 'level=warn msg="a" time="2026-12-07T10:00:05Z"', 5],
    ];
    for (const [first, second, apart] of pairs) {
      const a = lineSeconds(first);
      const b = lineSeconds(second);
      expect({ first, a: typeof a }).toEqual({ first, a: 'number' });
      expect({ first, apart: b! - a! }).toEqual({ first, apart });
    }
  });

  it('leaves a line without a readable time untimed, never guessed', () => {
    for (const line of [
      'WARN cache miss ratio 3 above limit',
      'order 20261207 shipped at 10:00', // a number and a time of day without a date
      '2026-13-07 10:00:00 WARN month 13',
      '2026-12-07 25:00:00 WARN hour 25',
      '{"level":"warn","msg":"a"}',
      '',
    ])
      expect({ line, seconds: lineSeconds(line) }).toEqual({ line, seconds: undefined });
  });
});
