// Scope values written into each provider's query language: inside a string literal escaped for it (a
// regex literal's metacharacters too), outside one as written; values a literal cannot hold are refused
// naming the scope label. The Prometheus case runs against a real Prometheus in prometheus.test.ts.
import { expandQuery } from '../templates/template';
import { createAppDynamicsProvider } from './appdynamics';
import { createDatadogProvider } from './datadog';
import type { ProviderType } from './provider';
import { placeholdersIn, ScopeValueError } from './scope-value';

const fill = (type: ProviderType, query: string, scope: Record<string, string>) =>
  expandQuery(query, scope, { name: type, type, renderScope: () => '<scope>' }, 60);

const refusal = (type: ProviderType, query: string, scope: Record<string, string>) => {
  try {
    fill(type, query, scope);
  } catch (error) {
    if (error instanceof ScopeValueError) return { label: error.label, message: error.message };
    throw error;
  }
  throw new Error('not refused');
};

describe('placeholders and the literal they stand in', () => {
  it('knows quotes, escapes and regex operators of the language', () => {
    const found = placeholdersIn('up{a="\\"${scope.x}", b=~\'${scope.y}\'} + ${scope.z} ${stepSeconds}', 'prometheus');
    expect(found.map(({ name, quote, regex }) => ({ name, quote, regex }))).toEqual([
      { name: 'scope.x', quote: '"', regex: false },
      { name: 'scope.y', quote: "'", regex: true },
      { name: 'scope.z', quote: undefined, regex: false },
      { name: 'stepSeconds', quote: undefined, regex: false },
    ]);
    // InfluxQL: `/` divides, except after a regex operator, where it opens a regex literal.
    const influx = placeholdersIn(
      'SELECT mean("v") / 2 FROM "m" WHERE "pod" =~ /${scope.p}/ AND "h" = ${scope.h}',
      'influxdb',
    );
    expect(influx.map(({ quote, regex }) => ({ quote, regex }))).toEqual([
      { quote: '/', regex: true },
      { quote: undefined, regex: false },
    ]);
  });
});

describe('a value inside a literal stays a value', () => {
  it.each<[ProviderType, string, string, string]>([
    ['prometheus', 'up{app="${scope.a}"}', 'x"} or up{app="b', 'up{app="x\\"} or up{app=\\"b"}'],
    ['prometheus', "up{app=~'${scope.a}-.{4}'}", 'web.*|billing', "up{app=~'web\\\\.\\\\*\\\\|billing-.{4}'}"],
    [
      'newrelic',
      "SELECT count(*) FROM T WHERE appName = '${scope.a}'",
      "x' OR appName = 'b",
      "SELECT count(*) FROM T WHERE appName = 'x\\' OR appName = \\'b'",
    ],
    [
      'newrelic',
      "SELECT count(*) FROM T WHERE name RLIKE '${scope.a}'",
      'a.b',
      "SELECT count(*) FROM T WHERE name RLIKE 'a\\\\.b'",
    ],
    // A raw string takes the regex as written: one backslash.
    [
      'newrelic',
      "SELECT count(*) FROM T WHERE name RLIKE r'${scope.a}'",
      'a.b',
      "SELECT count(*) FROM T WHERE name RLIKE r'a\\.b'",
    ],
    [
      'influxdb',
      `SELECT mean("v") FROM "m" WHERE "h" = '\${scope.a}'`,
      "x' OR 'a'='a",
      `SELECT mean("v") FROM "m" WHERE "h" = 'x\\' OR \\'a\\'=\\'a'`,
    ],
    [
      'influxdb',
      'SELECT mean("v") FROM "m" WHERE "pod" =~ /^${scope.a}$/',
      'a/.*',
      // InfluxQL unescapes only `\/` in a regex literal: the regex gets `^a/\.\*$`.
      'SELECT mean("v") FROM "m" WHERE "pod" =~ /^a\\/\\.\\*$/',
    ],
    [
      'stackdriver',
      'metric.type="m" AND metric.labels.app="${scope.a}"',
      'x" OR metric.labels.app="b',
      'metric.type="m" AND metric.labels.app="x\\" OR metric.labels.app=\\"b"',
    ],
    [
      'stackdriver',
      'metric.labels.pod=monitoring.regex.full_match("${scope.a}.*")',
      'web|b',
      'metric.labels.pod=monitoring.regex.full_match("web\\\\|b.*")',
    ],
    [
      'dynatrace',
      'builtin:service.response.time:filter(eq("app","${scope.a}"))',
      'x"),or(eq("app","b~',
      'builtin:service.response.time:filter(eq("app","x~"),or(eq(~"app~",~"b~~"))',
    ],
    [
      'signalfx',
      "data('cpu', filter=filter('app', '${scope.a}')).mean().publish()",
      "x') or filter('app', 'b",
      "data('cpu', filter=filter('app', 'x\\') or filter(\\'app\\', \\'b')).mean().publish()",
    ],
    ['wavefront', 'ts(cpu, app="${scope.a}")', 'x") or ts(cpu, app="b', 'ts(cpu, app="x\\") or ts(cpu, app=\\"b")'],
    ['graphite', "seriesByTag('name=cpu','app=~${scope.a}')", 'web.+', "seriesByTag('name=cpu','app=~web\\.\\+')"],
  ])('%s: %s with %j', (type, query, value, expected) => {
    expect(fill(type, query, { a: value })).toBe(expected);
  });

  it('writes an ordinary value unchanged in every literal', () => {
    expect(fill('prometheus', 'up{pod=~"${scope.a}-.{4}",ns="${scope.b}"}', { a: 'web-v001', b: 'prod' })).toBe(
      'up{pod=~"web-v001-.{4}",ns="prod"}',
    );
    expect(fill('graphite', "seriesByTag('app=${scope.a}')", { a: 'web-v2' })).toBe("seriesByTag('app=web-v2')");
  });
});

describe('a value a literal cannot hold is refused naming the label', () => {
  it.each<[ProviderType, string, string, RegExp]>([
    ['graphite', "seriesByTag('name=cpu','app=${scope.a}')", '~.*', /starts with ~/],
    ['graphite', "seriesByTag('name=cpu','app=${scope.a}')", "it's", /holds '/],
    ['prometheus', 'up{app=`${scope.a}`}', 'a`b', /holds `/],
    ['newrelic', "SELECT count(*) FROM T WHERE name RLIKE r'${scope.a}'", "it's", /holds '/],
    ['signalfx', "filter('app', '${scope.a}')", 'web-*', /wildcard/],
    ['wavefront', 'ts(cpu, app="${scope.a}")', '*', /wildcard/],
    [
      'cloudwatch',
      'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) WHERE InstanceId = \'${scope.a}\'',
      "i' OR '1'='1",
      /quote/,
    ],
    ['prometheus', 'up{app="${scope.a}"}', 'a\nb', /control character/],
  ])('%s: %s with %j', (type, query, value, problem) => {
    const refused = refusal(type, query, { a: value });
    expect(refused.label).toBe('a');
    expect(refused.message).toMatch(problem);
  });
});

describe('outside any literal the template takes the scope as filter text (Kayenta)', () => {
  it('inserts it as written', () => {
    expect(fill('wavefront', 'ts(cpu, ${scope.scope})', { scope: 'env=prod and app=web' })).toBe(
      'ts(cpu, env=prod and app=web)',
    );
    expect(fill('datadog', 'avg:cpu{${scope.scope}}', { scope: 'env:prod,host:web-1' })).toBe(
      'avg:cpu{env:prod,host:web-1}',
    );
  });
});

describe('${scope} where the language has no quoting', () => {
  const datadog = createDatadogProvider('dd', {
    url: 'http://127.0.0.1:9',
    apiKey: 'k',
    applicationKey: 'a',
    timeoutMs: 1000,
  });
  const appd = createAppDynamicsProvider('appd', {
    url: 'http://127.0.0.1:9',
    clientName: 'c',
    clientSecret: 's',
    accountName: 'a',
    application: 'shop',
    timeoutMs: 1000,
  });

  it('Datadog: tag values only; a `,`, `}`, space or `*` would rewrite the filter', () => {
    expect(datadog.renderScope({ env: 'prod', host: 'web-1.example/a:b' })).toBe('env:prod,host:web-1.example/a:b');
    for (const value of ['prod,service:billing', 'x} + avg:cpu{*', 'a OR b', '*'])
      expect(() => datadog.renderScope({ env: 'prod', host: value })).toThrow(
        expect.objectContaining({ label: 'host', message: expect.stringMatching(/not a Datadog tag value/) }),
      );
  });

  it('AppDynamics: one path segment per value; `|` and `*` would add or widen segments', () => {
    expect(appd.renderScope({ tier: 'Order Service', node: 'node-1' })).toBe('Order Service|node-1');
    for (const value of ['web|*', '*', 'x | application=billing', ' '])
      expect(() => appd.renderScope({ tier: value })).toThrow(
        expect.objectContaining({ label: 'tier', message: expect.stringMatching(/one AppDynamics path segment/) }),
      );
  });
});
