import { eventText, groupEvents, isContinuation } from './multiline';

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
});
