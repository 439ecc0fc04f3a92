import { MAX_STRUCTURED_LENGTH, structuredText } from './structured';

describe('lines that name their fields', () => {
  it('reads the level and message of JSON lines, whatever the keys are called or their order', () => {
    // zap, logrus (`warning`), slog, logstash-logback-encoder, ECS (dotted and nested), Cloud Logging, structlog.
    expect(
      structuredText('{"level":"info","ts":1733.1,"caller":"x/y.go:12","msg":"request served","user":"alice"}'),
    ).toBe('INFO request served');
    expect(
      structuredText('{"user":"alice","msg":"request served","caller":"x/y.go:12","ts":1733.1,"level":"info"}'),
    ).toBe('INFO request served');
    expect(structuredText('{"level":"warning","msg":"retrying","time":"2026-12-07T10:00:00Z"}')).toBe('WARN retrying');
    expect(
      structuredText('{"@timestamp":"2026-12-07T10:00:00Z","message":"started","level":"INFO","level_value":20000}'),
    ).toBe('INFO started');
    expect(structuredText('{"log.level":"ERROR","message":"lost connection","ecs.version":"1.2.0"}')).toBe(
      'ERROR lost connection',
    );
    expect(structuredText('{"log":{"level":"error"},"message":"lost connection"}')).toBe('ERROR lost connection');
    expect(structuredText('{"severity":"WARNING","message":"quota low"}')).toBe('WARN quota low');
    expect(structuredText('{"event": "job started", "job_id": "a1", "level": "info", "timestamp": "2026"}')).toBe(
      'INFO job started',
    );
  });

  it('reads numeric levels: pino and bunyan (10–60), syslog severities (0–7)', () => {
    expect(structuredText('{"level":30,"time":1,"pid":1,"hostname":"h","msg":"listening"}')).toBe('INFO listening');
    expect(structuredText('{"level":40,"msg":"slow"}')).toBe('WARN slow');
    expect(structuredText('{"level":50,"msg":"failed"}')).toBe('ERROR failed');
    expect(structuredText('{"level":60,"msg":"dying"}')).toBe('FATAL dying');
    expect(structuredText('{"level":3,"short_message":"disk full"}')).toBe('ERROR disk full');
  });

  it('adds what failed: an error field, an error object, the exception classes of a stack trace', () => {
    expect(
      structuredText('{"level":"error","msg":"query failed","error":"dial tcp 10.0.0.1:5432: connection refused"}'),
    ).toBe('ERROR query failed dial tcp 10.0.0.1:5432: connection refused');
    expect(
      structuredText(
        '{"level":50,"msg":"query failed","err":{"type":"Error","message":"connect ECONNREFUSED","stack":"Error: connect ECONNREFUSED\\n    at x (net.js:1:1)"}}',
      ),
    ).toBe('ERROR query failed Error: connect ECONNREFUSED');
    const trace =
      'java.lang.IllegalStateException: no stock\\n\\tat a.B.c(B.java:1)\\nCaused by: java.sql.SQLException: gone\\n\\t... 3 more';
    expect(structuredText(`{"level":"ERROR","message":"order failed","stack_trace":"${trace}"}`)).toBe(
      'ERROR order failed java.lang.IllegalStateException java.sql.SQLException',
    );
    const traceback =
      'Traceback (most recent call last):\\n  File \\"a.py\\", line 1, in f\\n    g()\\nValueError: bad';
    expect(structuredText(`{"event": "job failed", "level": "error", "exception": "${traceback}"}`)).toBe(
      'ERROR job failed ValueError',
    );
    expect(
      structuredText(
        '{"log.level":"ERROR","message":"m","error.type":"java.net.SocketTimeoutException","error.message":"Read timed out","error.stack_trace":"java.net.SocketTimeoutException: Read timed out\\n\\tat a.B.c(B.java:1)"}',
      ),
    ).toBe('ERROR m java.net.SocketTimeoutException: Read timed out');
    // The message's own escaped newlines do not make a second line.
    expect(structuredText('{"level":"info","msg":"a\\nb"}')).toBe('INFO a b');
  });

  it('describes a JSON line without a message by its fields, sorted, without times and hosts', () => {
    expect(structuredText('{"time":"2026","status":500,"method":"GET","path":"/x","host":"h"}')).toBe(
      'method=GET path=/x status=500',
    );
    expect(structuredText('{"path":"/x","method":"GET","status":500,"time":"2027"}')).toBe(
      'method=GET path=/x status=500',
    );
  });

  it('reads the level from the first level key that holds one, and unwraps what a container runtime added', () => {
    expect(structuredText('{"level":{"name":"x"},"severity":"ERROR","message":"m"}')).toBe('ERROR m');
    expect(structuredText('{"level":"50","msg":"m"}')).toBe('ERROR m');
    // CRI's prefix (a collector that left it) and Docker's json-file wrapper around the service's own line.
    expect(structuredText('2026-12-07T10:00:00.123456789Z stderr F {"level":"error","msg":"m"}')).toBe('ERROR m');
    expect(
      structuredText('{"log":"{\\"level\\":\\"warn\\",\\"msg\\":\\"m\\"}\\n","stream":"stdout","time":"2026"}'),
    ).toBe('WARN m');
    expect(structuredText('{"log":"2026-12-07 10:00:00 ERROR lost carrier\\n","stream":"stderr"}')).toBe(
      '2026-12-07 10:00:00 ERROR lost carrier',
    );
    expect(structuredText('2026-12-07T10:00:00.123Z stdout F plain text')).toBeUndefined();
  });

  it('reads logfmt lines (go-kit, logrus text, slog text), quoted values with escapes', () => {
    expect(
      structuredText(
        'ts=2026-12-07T10:00:00Z caller=main.go:12 level=error msg="scrape failed" err="context deadline exceeded"',
      ),
    ).toBe('ERROR scrape failed context deadline exceeded');
    expect(structuredText('time="2026-12-07T10:00:00Z" level=warning msg="say \\"hi\\" = ok" user=bob')).toBe(
      'WARN say "hi" = ok',
    );
    expect(structuredText('time=2026-12-07T10:00:00Z level=INFO msg=started port=8080')).toBe('INFO started');
  });

  it('reads klog lines: the level letter, structured or printf-style messages', () => {
    expect(structuredText('E1207 15:04:05.123456       1 reflector.go:138] failed to list *v1.Pod: forbidden')).toBe(
      'ERROR failed to list *v1.Pod: forbidden',
    );
    expect(structuredText('I1207 15:04:05.123456 1 controller.go:12] "Reconciling" deployment="shop/web" gen=4')).toBe(
      'INFO Reconciling',
    );
    expect(
      structuredText('W1207 15:04:05.123456 1 c.go:12] "Requeue" name="web" err="the object has been modified"'),
    ).toBe('WARN Requeue the object has been modified');
    expect(structuredText('F1207 15:04:05.123456 1 main.go:1] "bad \\"quote\\" in msg"')).toBe(
      'FATAL bad "quote" in msg',
    );
  });

  it('reads access lines (nginx, Apache, envoy): the request without its query, and the status class', () => {
    expect(
      structuredText(
        '10.0.0.1 - alice [07/Dec/2026:10:00:00 +0000] "GET /api/v1/orders/42?token=x HTTP/1.1" 503 12 "-" "curl/8.0"',
      ),
    ).toBe('ERROR GET /api/v1/orders/42 server-failed');
    expect(
      structuredText(
        '[2026-12-07T10:00:00.123Z] "POST /cart HTTP/2" 201 - 0 12 3 2 "10.0.0.1" "Go-http-client/1.1" "id"',
      ),
    ).toBe('INFO POST /cart ok');
    expect(structuredText('10.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET / HTTP/1.0" 404 0')).toBe(
      'INFO GET / client-refused',
    );
    // A request line without its status right after it (OpenStack's `status: 200`) is text.
    expect(structuredText('wsgi "GET /v2/servers HTTP/1.1" status: 200 len: 1893')).toBeUndefined();
  });

  it('leaves other lines to be mined as text', () => {
    for (const line of [
      '2026-12-07 10:00:00 INFO started in 3 ms',
      'INFO: a=b c=d', // a message that mentions pairs
      'a=b some words after', // not all pairs
      'count=3 total=4', // pairs without a level or a message
      'level=info msg="unterminated',
      '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
      '{not json}',
      '{"level":"error", "msg": "cut short"',
      '{}',
      '[1,2,3]',
      '"a string"',
      '',
    ])
      expect(structuredText(line)).toBeUndefined();
  });

  it('never throws on bad input and stays bounded: long lines, deep nesting, invalid JSON, broken text', () => {
    expect(structuredText(`{"level":"error","msg":"${'x'.repeat(MAX_STRUCTURED_LENGTH)}"}`)).toBeUndefined();
    // A megabyte line starting with `{` is not parsed at all.
    expect(structuredText(`{"msg":"${'a b '.repeat(250_000)}`)).toBeUndefined();
    const deep = `{"level":"error","msg":"deep","a":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    expect(deep.length).toBeLessThan(MAX_STRUCTURED_LENGTH);
    expect(structuredText(deep)).toBe('ERROR deep');
    const arrays = `{"level":"error","msg":"arrays","a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expect(structuredText(arrays)).toBe('ERROR arrays');
    const wide = `{${Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    expect(structuredText(wide)?.split(' ').length).toBeLessThanOrEqual(200);
    // Bytes that are not UTF-8, decoded as a provider decodes them (U+FFFD), and a lone surrogate.
    const bytes = Buffer.from([0x7b, 0x22, 0x6d, 0x73, 0x67, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    expect(structuredText(bytes.toString('utf8'))).toBe('\ufffd\ufffd');
    expect(structuredText('{"level":"info","msg":"x\ud800y"}')).toBe('INFO x\ud800y');
    expect(structuredText(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]).toString('latin1'))).toBeUndefined();
  });
});
