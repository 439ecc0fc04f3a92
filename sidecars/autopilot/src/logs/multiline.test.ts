import { EventAssembler, eventText, groupEvents, isContinuation } from './multiline';

const trace = [
  '2026-01-01 12:00:00 ERROR OrderService failed to place order 42',
  'java.lang.IllegalStateException: stock is negative',
  '\tat com.shop.Stock.take(Stock.java:88)',
  '\tat com.shop.OrderService.place(OrderService.java:31)',
  'Caused by: java.sql.SQLException: deadlock detected',
  '\tat org.postgresql.Driver.execute(Driver.java:1)',
  '\t... 12 more',
];

describe('multi-line events', () => {
  it('recognises frames, causes and elisions as continuations', () => {
    expect(isContinuation('\tat a.B.c(B.java:1)')).toBe(true);
    expect(isContinuation('at a.B.c(B.java:1)')).toBe(true);
    expect(isContinuation('Caused by: x.Y: z')).toBe(true);
    expect(isContinuation('... 3 more')).toBe(true);
    expect(isContinuation('java.lang.NullPointerException: x is null')).toBe(true);
    expect(isContinuation('java.lang.OutOfMemoryError')).toBe(true);
    expect(isContinuation('2026-01-01 INFO started')).toBe(false);
    expect(isContinuation('ERROR: retry later')).toBe(false);
    expect(isContinuation('')).toBe(false);
  });

  it('keeps a stack trace with the line that opened it', () => {
    const lines = ['2026-01-01 12:00:00 INFO started', ...trace, 'INFO next'];
    const events = [...groupEvents(lines)];
    expect(events.map((e) => e.length)).toEqual([1, 7, 1]);
    expect(events[1]![0]).toBe(trace[0]);
  });

  it('caps an event so a runaway continuation cannot grow without bound', () => {
    const lines = ['start', ...Array.from({ length: 10 }, (_, i) => `\tat a.B.c${i}(B.java:1)`)];
    expect([...groupEvents(lines, 4)].map((e) => e.length)).toEqual([4, 4, 3]);
  });

  it('mines an event by its first line and the classes of its causes, not its frames', () => {
    expect(eventText(trace)).toBe(`${trace[0]} java.lang.IllegalStateException java.sql.SQLException`);
  });

  it('keeps a Python traceback with the line that logged it, its exception line included', () => {
    const traceback = [
      '2026-12-07 10:00:00,123 - app.worker - ERROR - job 7 failed',
      'Traceback (most recent call last):',
      '  File "/app/worker.py", line 42, in run',
      '    result = handle(job)',
      "ValueError: invalid literal for int() with base 10: 'n/a'",
    ];
    const lines = [
      '2026-12-07 10:00:00,100 - app.worker - INFO - job 6 done',
      ...traceback,
      '2026-12-07 10:00:01,000 - app.worker - INFO - job 8 done',
    ];
    const events = [...groupEvents(lines)];
    expect(events.map((e) => e.length)).toEqual([1, 5, 1]);
    expect(eventText(events[1]!)).toBe(`${traceback[0]} ValueError`);
    // A chained traceback, and a dotted exception without `Error` in its name.
    const chained = [
      'ERROR:root:request failed',
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in f',
      "KeyError: 'id'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "b.py", line 2, in g',
      'requests.exceptions.ReadTimeout: read timed out',
      'INFO:root:next',
    ];
    const grouped = [...groupEvents(chained)];
    expect(grouped[0]).toEqual(chained.slice(0, 4));
    expect(grouped.at(-1)).toEqual(['INFO:root:next']);
    expect(
      grouped.some((event) => event.includes('requests.exceptions.ReadTimeout: read timed out') && event.length > 1),
    ).toBe(true);
    // Without a traceback above it, such a line starts an event.
    expect([...groupEvents(['INFO:root:started', 'WARNING:root:low disk'])].length).toBe(2);
  });

  it('an event is at the time its first line was given (decision 248), not its continuation lines’', () => {
    const assembler = new EventAssembler();
    expect(assembler.push('ERROR order failed', 1_000)).toBeUndefined();
    expect(assembler.push('\tat com.shop.Orders.place(Orders.java:42)', 5_000)).toBeUndefined();
    expect(assembler.push('INFO order placed', 9_000)).toHaveLength(2);
    expect(assembler.doneTimeMs).toBe(1_000);
    expect(assembler.push('INFO no time given')).toEqual(['INFO order placed']);
    expect(assembler.doneTimeMs).toBe(9_000);
    expect(assembler.flush()).toEqual(['INFO no time given']);
    expect(assembler.doneTimeMs).toBeUndefined();
  });
});
