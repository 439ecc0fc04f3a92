// Seeded logs in the formats services deployed to Kubernetes write, for the log comparison bench (no corpus):
// JSON lines (zap, logrus, pino, bunyan, logstash-logback-encoder, ECS, structlog), logfmt (go-kit, logrus's
// text formatter), klog, Spring Boot's console layouts, Python logging, nginx and envoy (access lines mixed with
// the server's own log). Each format is written by two services with different vocabularies (an HTTP API, a
// queue worker, a Kubernetes controller): messages whose variables are ids, durations, IPs, paths, user names
// and UUIDs; healthy logs with some errors and warnings, a few rare; errors with the stack traces or error
// fields each language writes (a Java trace over several lines, escaped newlines inside JSON, a Python
// traceback). Every event knows its message kind and level: the ground truth the cases are made from.
import { createRandom, type Random } from '@isd/autopilot';
import type { CaseSource } from './comparison';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface GeneratedEvent {
  /** The lines the service wrote for the event (a stack trace adds lines). */
  lines: string[];
  /** The message kind (ground truth: one per place in the code that logs). */
  kind: string;
  level: Level;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface GeneratedLog {
  name: string;
  format: string;
  events: GeneratedEvent[];
  /** A new error the service never logged before, written in its format at the time of an existing event. */
  newError(random: Random, near: GeneratedEvent): string[];
}

type Value = string | number | boolean;
type Failure = 'timeout' | 'refused' | 'invalid' | 'conflict';

interface Record {
  time: number;
  level: Level;
  /** The constant message (structured loggers). */
  msg: string;
  /** The message with its variables written in (printf-style loggers). */
  text: string;
  fields: { [key: string]: Value };
  failure?: Failure;
  logger: string;
  thread: string;
}

interface Spec {
  kind: string;
  level: Level;
  weight: number;
  msg: string;
  /** The printf-style message: `{name}` is the value of field `name`. */
  text: string;
  fields: (r: Random) => { [key: string]: Value };
  failure?: Failure;
  logger: string;
}

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj'];
const USERS_MORE = ['olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yuki', 'zoe', 'omar'];
const pick = <T>(r: Random, values: readonly T[]): T => values[r.integer(0, values.length - 1)]!;
const user = (r: Random) => pick(r, r.next() < 0.7 ? USERS : USERS_MORE);
const hex = (r: Random, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[r.integer(0, 15)]).join('');
const uuid = (r: Random) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${hex(r, 4)}-${hex(r, 12)}`;
const ip = (r: Random) => `10.${r.integer(0, 3)}.${r.integer(0, 255)}.${r.integer(1, 254)}`;
const ms = (r: Random, mean: number) => Math.max(1, Math.round(mean * Math.exp(r.normal() * 0.6)));
const seconds = (r: Random, mean: number) => Math.round(ms(r, mean * 1000)) / 1000;

// Three vocabularies; weights are per mille of events, rare kinds (a few lines in 2,000) included.
const API: Spec[] = [
  {
    kind: 'served',
    level: 'info',
    weight: 420,
    msg: 'request served',
    text: 'Completed {method} {path} with status {status} in {duration_ms} ms',
    logger: 'com.acme.orders.web.RequestLogFilter',
    fields: (r) => ({
      method: pick(r, ['GET', 'GET', 'GET', 'POST', 'PUT']),
      path: pick(r, [
        `/api/v1/orders/${r.integer(1000, 99999)}`,
        `/api/v1/customers/${user(r)}/orders`,
        '/api/v1/catalog',
      ]),
      status: pick(r, [200, 200, 200, 201, 204]),
      duration_ms: ms(r, 40),
    }),
  },
  {
    kind: 'created',
    level: 'info',
    weight: 120,
    msg: 'order created',
    text: 'Created order {order_id} for customer {user} with {items} items',
    logger: 'com.acme.orders.service.OrderService',
    fields: (r) => ({ order_id: r.integer(100000, 999999), user: user(r), items: r.integer(1, 12) }),
  },
  {
    kind: 'payment',
    level: 'info',
    weight: 100,
    msg: 'payment authorized',
    text: 'Payment {payment_id} authorized for order {order_id}: {amount} EUR',
    logger: 'com.acme.orders.payment.PaymentClient',
    fields: (r) => ({ payment_id: uuid(r), order_id: r.integer(100000, 999999), amount: r.integer(5, 900) + 0.99 }),
  },
  {
    kind: 'cache-miss',
    level: 'debug',
    weight: 90,
    msg: 'cache miss',
    text: 'Cache miss for key {key}, loading from database',
    logger: 'com.acme.orders.cache.CatalogCache',
    fields: (r) => ({ key: `catalog:${r.integer(1, 400)}` }),
  },
  {
    kind: 'login',
    level: 'info',
    weight: 80,
    msg: 'user logged in',
    text: 'User {user} logged in from {client_ip}',
    logger: 'com.acme.orders.auth.LoginHandler',
    fields: (r) => ({ user: user(r), client_ip: ip(r) }),
  },
  {
    kind: 'not-found',
    level: 'warn',
    weight: 60,
    msg: 'order not found',
    text: 'Order {order_id} not found for customer {user}',
    logger: 'com.acme.orders.service.OrderService',
    fields: (r) => ({ order_id: r.integer(100000, 999999), user: user(r) }),
  },
  {
    kind: 'slow-query',
    level: 'warn',
    weight: 25,
    msg: 'slow query',
    text: 'Slow query on table {table} took {duration_ms} ms',
    logger: 'com.acme.orders.db.QueryLogger',
    fields: (r) => ({ table: pick(r, ['orders', 'order_items', 'customers']), duration_ms: ms(r, 1500) }),
  },
  {
    kind: 'payment-timeout',
    level: 'error',
    weight: 12,
    msg: 'payment provider call failed',
    text: 'Payment for order {order_id} failed after {attempts} attempts',
    logger: 'com.acme.orders.payment.PaymentClient',
    failure: 'timeout',
    fields: (r) => ({ order_id: r.integer(100000, 999999), attempts: 3 }),
  },
  {
    kind: 'pool-low',
    level: 'warn',
    weight: 5,
    msg: 'connection pool running low',
    text: 'Connection pool {pool} running low: {idle} idle of {max}',
    logger: 'com.zaxxer.hikari.pool.HikariPool',
    fields: (r) => ({ pool: 'orders-db', idle: r.integer(0, 2), max: 20 }),
  },
  {
    kind: 'rate-limited',
    level: 'warn',
    weight: 4,
    msg: 'client rate limited',
    text: 'Rate limit exceeded for client {client_ip}, rejecting for {retry_after} s',
    logger: 'com.acme.orders.web.RateLimiter',
    fields: (r) => ({ client_ip: ip(r), retry_after: r.integer(1, 60) }),
  },
  {
    kind: 'conflict',
    level: 'error',
    weight: 4,
    msg: 'optimistic lock conflict',
    text: 'Could not update order {order_id}: version {version} is stale',
    logger: 'com.acme.orders.service.OrderService',
    failure: 'conflict',
    fields: (r) => ({ order_id: r.integer(100000, 999999), version: r.integer(1, 30) }),
  },
];

const WORKER: Spec[] = [
  {
    kind: 'job-start',
    level: 'info',
    weight: 300,
    msg: 'job started',
    text: 'Started job {job_id} of type {job_type} from queue {queue}',
    logger: 'billing.worker.runner',
    fields: (r) => ({ job_id: uuid(r), job_type: pick(r, ['invoice', 'reminder', 'refund']), queue: 'billing' }),
  },
  {
    kind: 'job-done',
    level: 'info',
    weight: 290,
    msg: 'job finished',
    text: 'Finished job {job_id} in {duration} s',
    logger: 'billing.worker.runner',
    fields: (r) => ({ job_id: uuid(r), duration: seconds(r, 0.8) }),
  },
  {
    kind: 'mail-sent',
    level: 'info',
    weight: 150,
    msg: 'invoice mailed',
    text: 'Sent invoice {invoice} to {email}',
    logger: 'billing.mail.sender',
    fields: (r) => ({ invoice: `INV-${r.integer(10000, 99999)}`, email: `${user(r)}@example.com` }),
  },
  {
    kind: 'poll',
    level: 'debug',
    weight: 120,
    msg: 'polled queue',
    text: 'Polled queue {queue}: {count} messages',
    logger: 'billing.worker.poller',
    fields: (r) => ({ queue: 'billing', count: r.integer(0, 25) }),
  },
  {
    kind: 'retry',
    level: 'warn',
    weight: 50,
    msg: 'retrying job',
    text: 'Retrying job {job_id} (attempt {attempt} of 5) after {delay_ms} ms',
    logger: 'billing.worker.runner',
    fields: (r) => ({ job_id: uuid(r), attempt: r.integer(1, 4), delay_ms: 250 * r.integer(1, 8) }),
  },
  {
    kind: 'heartbeat',
    level: 'info',
    weight: 60,
    msg: 'heartbeat',
    text: 'Worker {worker} alive, {active} active jobs, heap {heap_mb} MB',
    logger: 'billing.worker.health',
    fields: (r) => ({ worker: `worker-${r.integer(1, 4)}`, active: r.integer(0, 8), heap_mb: r.integer(80, 400) }),
  },
  {
    kind: 'db-refused',
    level: 'error',
    weight: 10,
    msg: 'database unavailable',
    text: 'Could not load account {account_id} from the ledger database',
    logger: 'billing.ledger.repository',
    failure: 'refused',
    fields: (r) => ({ account_id: r.integer(1000, 9999) }),
  },
  {
    kind: 'bad-payload',
    level: 'error',
    weight: 8,
    msg: 'invalid message payload',
    text: 'Dropped message {message_id}: payload is not a valid invoice',
    logger: 'billing.worker.decoder',
    failure: 'invalid',
    fields: (r) => ({ message_id: uuid(r) }),
  },
  {
    kind: 'lag',
    level: 'warn',
    weight: 5,
    msg: 'consumer lag high',
    text: 'Consumer lag on partition {partition} is {lag} messages',
    logger: 'billing.worker.poller',
    fields: (r) => ({ partition: r.integer(0, 11), lag: r.integer(1000, 50000) }),
  },
  {
    kind: 'cert-expiry',
    level: 'warn',
    weight: 4,
    msg: 'certificate expires soon',
    text: 'Client certificate for {host} expires in {days} days',
    logger: 'billing.tls.watcher',
    fields: (r) => ({ host: 'smtp.example.com', days: r.integer(3, 14) }),
  },
];

const CONTROLLER: Spec[] = [
  {
    kind: 'reconcile',
    level: 'info',
    weight: 380,
    msg: 'Reconciling',
    text: 'Reconciling deployment {namespace}/{name} generation {generation}',
    logger: 'controller.go',
    fields: (r) => ({
      namespace: pick(r, ['default', 'shop', 'payments', 'search']),
      name: pick(r, ['web', 'api', 'worker', 'cart', 'checkout']),
      generation: r.integer(1, 90),
    }),
  },
  {
    kind: 'synced',
    level: 'info',
    weight: 250,
    msg: 'Synced',
    text: 'Synced {namespace}/{name} in {duration_ms} ms',
    logger: 'controller.go',
    fields: (r) => ({
      namespace: pick(r, ['default', 'shop', 'payments', 'search']),
      name: pick(r, ['web', 'api', 'worker', 'cart', 'checkout']),
      duration_ms: ms(r, 30),
    }),
  },
  {
    kind: 'event',
    level: 'info',
    weight: 150,
    msg: 'Event occurred',
    text: 'Event occurred: object {namespace}/{pod} reason {reason}',
    logger: 'event.go',
    fields: (r) => ({
      namespace: pick(r, ['default', 'shop', 'payments']),
      pod: `web-${hex(r, 9)}-${hex(r, 5)}`,
      reason: pick(r, ['ScalingReplicaSet', 'SuccessfulCreate', 'Pulled']),
    }),
  },
  {
    kind: 'watch',
    level: 'info',
    weight: 90,
    msg: 'Watch close',
    text: 'Watch close - {resource} total {items} items received',
    logger: 'reflector.go',
    fields: (r) => ({ resource: pick(r, ['*v1.Pod', '*v1.Deployment', '*v1.Service']), items: r.integer(1, 900) }),
  },
  {
    kind: 'lease',
    level: 'info',
    weight: 60,
    msg: 'successfully renewed lease',
    text: 'successfully renewed lease {namespace}/{lease}',
    logger: 'leaderelection.go',
    fields: () => ({ namespace: 'kube-system', lease: 'rollout-controller' }),
  },
  {
    kind: 'requeue',
    level: 'warn',
    weight: 40,
    msg: 'Requeueing after conflict',
    text: 'Requeueing {namespace}/{name}: the object has been modified',
    logger: 'controller.go',
    failure: 'conflict',
    fields: (r) => ({ namespace: pick(r, ['default', 'shop']), name: pick(r, ['web', 'api', 'cart']) }),
  },
  {
    kind: 'list-failed',
    level: 'error',
    weight: 10,
    msg: 'Failed to list',
    text: 'failed to list {resource}: the server could not find the requested resource',
    logger: 'reflector.go',
    failure: 'refused',
    fields: (r) => ({ resource: pick(r, ['*v1.Pod', '*v1.Endpoints']) }),
  },
  {
    kind: 'throttled',
    level: 'warn',
    weight: 5,
    msg: 'Waited due to client-side throttling',
    text: 'Waited for {wait} s due to client-side throttling, not priority and fairness, request: GET:{url}',
    logger: 'request.go',
    fields: (r) => ({ wait: seconds(r, 1.2), url: `https://10.96.0.1:443/apis/apps/v1/namespaces/shop/deployments` }),
  },
  {
    kind: 'webhook-slow',
    level: 'warn',
    weight: 4,
    msg: 'Admission webhook slow',
    text: 'Admission webhook {webhook} took {duration_ms} ms',
    logger: 'webhook.go',
    fields: (r) => ({ webhook: 'validate.shop.example.com', duration_ms: ms(r, 2500) }),
  },
  {
    kind: 'invalid-spec',
    level: 'error',
    weight: 4,
    msg: 'Invalid rollout spec',
    text: 'Rollout {namespace}/{name} has an invalid spec: {problem}',
    logger: 'validation.go',
    failure: 'invalid',
    fields: (r) => ({
      namespace: 'shop',
      name: pick(r, ['web', 'cart']),
      problem: 'maxSurge and maxUnavailable both 0',
    }),
  },
];

const NEW_ERROR: Spec = {
  kind: 'new-error',
  level: 'error',
  weight: 0,
  msg: 'cannot allocate request queue',
  text: 'cannot allocate {bytes} bytes for request queue {queue}',
  logger: 'com.acme.queue.RequestQueue',
  fields: (r) => ({ bytes: r.integer(1, 1 << 20), queue: r.integer(1, 64) }),
};

// How each language writes a failure: an error string (Go), an exception with a trace (Java, Node, Python).
const FAILURES: { [F in Failure]: { go: string; java: [string, string, string?]; python: [string, string] } } = {
  timeout: {
    go: 'Post "https://payments.internal:8443/v2/charges": context deadline exceeded',
    java: ['java.net.SocketTimeoutException', 'Read timed out'],
    python: [
      'requests.exceptions.ReadTimeout',
      "HTTPSConnectionPool(host='payments.internal', port=8443): Read timed out.",
    ],
  },
  refused: {
    go: 'dial tcp 10.0.4.12:5432: connect: connection refused',
    java: [
      'org.springframework.dao.DataAccessResourceFailureException',
      'Unable to acquire JDBC Connection',
      'java.net.ConnectException: Connection refused',
    ],
    python: ['psycopg2.OperationalError', 'connection to server at "10.0.4.12", port 5432 failed: Connection refused'],
  },
  invalid: {
    go: 'json: cannot unmarshal string into Go struct field Invoice.amount of type float64',
    java: [
      'com.fasterxml.jackson.databind.exc.InvalidFormatException',
      'Cannot deserialize value of type `java.math.BigDecimal`',
    ],
    python: ['ValueError', "invalid literal for int() with base 10: 'n/a'"],
  },
  conflict: {
    go: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified',
    java: ['org.springframework.orm.ObjectOptimisticLockingFailureException', 'Row was updated by another transaction'],
    python: ['sqlalchemy.orm.exc.StaleDataError', "UPDATE statement on table 'orders' expected to update 1 row(s)"],
  },
};

function javaTrace(failure: Failure, logger: string, r: Random): string[] {
  const [type, message, cause] = FAILURES[failure].java;
  const cls = logger.split('.').pop()!;
  const frames = [
    `\tat ${logger}.handle(${cls}.java:${r.integer(40, 60)})`,
    `\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)`,
    `\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)`,
  ];
  const lines = [`${type}: ${message}`, ...frames];
  if (cause)
    lines.push(`Caused by: ${cause}`, `\tat java.base/sun.nio.ch.Net.connect0(Native Method)`, '\t... 42 more');
  return lines;
}

function pythonTrace(failure: Failure, logger: string, r: Random): string[] {
  const [type, message] = FAILURES[failure].python;
  return [
    'Traceback (most recent call last):',
    `  File "/app/${logger.replaceAll('.', '/')}.py", line ${r.integer(20, 200)}, in run`,
    '    result = handler(payload)',
    `  File "/usr/local/lib/python3.12/site-packages/${type.split('.')[0]}/api.py", line 73, in request`,
    '    return session.request(method=method, url=url, **kwargs)',
    `${type}: ${message}`,
  ];
}

function nodeStack(failure: Failure): { type: string; message: string; stack: string } {
  const message = failure === 'refused' ? 'connect ECONNREFUSED 10.0.4.12:5432' : FAILURES[failure].go;
  const type = failure === 'invalid' ? 'SyntaxError' : 'Error';
  return {
    type,
    message,
    stack: `${type}: ${message}\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`,
  };
}

const iso = (time: number) => new Date(time).toISOString();
const LEVEL_WORDS = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;
const BUNYAN_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
const interpolate = (text: string, fields: { [key: string]: Value }) =>
  text.replace(/\{(\w+)\}/g, (_, name: string) => String(fields[name]));
const logfmtValue = (v: Value) => {
  const s = String(v);
  return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
};
const logfmt = (pairs: [string, Value][]) => pairs.map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ');
const sortedKeys = (object: { [key: string]: unknown }) =>
  Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const abbreviate = (logger: string, width: number) => {
  // Logback's %logger{39}: package names shortened to their first letter until the name fits.
  const parts = logger.split('.');
  for (let i = 0; i < parts.length - 1 && parts.join('.').length > width; i++) parts[i] = parts[i]![0]!;
  return parts.join('.');
};

interface Service {
  pod: string;
}

/** One format: how a record is written as lines. */
type Formatter = (rec: Record, service: Service, r: Random) => string[];

const FORMATS: { [name: string]: Formatter } = {
  zap: (rec) => {
    const line: { [key: string]: unknown } = {
      level: rec.level,
      ts: rec.time / 1000,
      caller: `${rec.logger.includes('.go') ? rec.logger : 'server/handler.go'}:${(rec.msg.length * 7) % 300}`,
      msg: rec.msg,
      ...rec.fields,
    };
    if (rec.failure) line.error = FAILURES[rec.failure].go;
    if (rec.level === 'error')
      line.stacktrace = 'main.(*Server).handle\n\t/app/server.go:88\nmain.main\n\t/app/main.go:42';
    return [JSON.stringify(line)];
  },
  // logrus's JSONFormatter: keys sorted, level `warning`.
  logrus: (rec) => {
    const line: { [key: string]: unknown } = {
      level: rec.level === 'warn' ? 'warning' : rec.level,
      msg: rec.text,
      time: iso(rec.time),
      ...rec.fields,
    };
    if (rec.failure) line.error = FAILURES[rec.failure].go;
    return [JSON.stringify(sortedKeys(line))];
  },
  pino: (rec, service) => {
    const line: { [key: string]: unknown } = {
      level: BUNYAN_LEVELS[rec.level],
      time: rec.time,
      pid: 1,
      hostname: service.pod,
      ...rec.fields,
    };
    if (rec.failure) line.err = nodeStack(rec.failure);
    line.msg = rec.msg;
    return [JSON.stringify(line)];
  },
  bunyan: (rec, service) => {
    const line: { [key: string]: unknown } = {
      name: 'app',
      hostname: service.pod,
      pid: 1,
      level: BUNYAN_LEVELS[rec.level],
    };
    Object.assign(line, rec.fields);
    if (rec.failure) {
      const { type, message, stack } = nodeStack(rec.failure);
      line.err = { message, name: type, stack };
    }
    Object.assign(line, { msg: rec.text, time: iso(rec.time), v: 0 });
    return [JSON.stringify(line)];
  },
  // logstash-logback-encoder's LogstashEncoder: MDC fields after the standard ones.
  logstash: (rec, _service, r) => {
    const line: { [key: string]: unknown } = {
      '@timestamp': iso(rec.time),
      '@version': '1',
      message: rec.text,
      logger_name: rec.logger,
      thread_name: rec.thread,
      level: rec.level === 'warn' ? 'WARN' : LEVEL_WORDS[rec.level],
      level_value: { debug: 10000, info: 20000, warn: 30000, error: 40000 }[rec.level],
    };
    if (rec.failure) line.stack_trace = javaTrace(rec.failure, rec.logger, r).join('\n');
    line.traceId = hex(r, 32);
    return [JSON.stringify(line)];
  },
  // Elastic's ecs-logging (Java): dotted keys, `log.level`.
  ecs: (rec, service, r) => {
    const line: { [key: string]: unknown } = {
      '@timestamp': iso(rec.time),
      'log.level': LEVEL_WORDS[rec.level],
      message: rec.text,
      'ecs.version': '1.2.0',
      'service.name': 'orders',
      'process.thread.name': rec.thread,
      'log.logger': rec.logger,
      'host.hostname': service.pod,
    };
    if (rec.failure) {
      const [type, message] = FAILURES[rec.failure].java;
      Object.assign(line, {
        'error.type': type,
        'error.message': message,
        'error.stack_trace': javaTrace(rec.failure, rec.logger, r).join('\n'),
      });
    }
    return [JSON.stringify(line)];
  },
  // structlog's JSONRenderer: the message is `event`, `, ` and `: ` between items.
  structlog: (rec, _service, r) => {
    const line: { [key: string]: unknown } = { event: rec.msg, ...rec.fields };
    if (rec.failure) line.exception = pythonTrace(rec.failure, rec.logger, r).join('\n');
    Object.assign(line, {
      level: rec.level === 'warn' ? 'warning' : rec.level,
      logger: rec.logger,
      timestamp: iso(rec.time),
    });
    return [JSON.stringify(line, null, 1).replace(/\n\s*/g, ' ').replace('{ ', '{').replace(' }', '}')];
  },
  // go-kit/log's logfmt (Prometheus, Thanos, Loki …).
  gokit: (rec) => {
    const pairs: [string, Value][] = [
      ['ts', iso(rec.time)],
      ['caller', `${rec.logger.includes('.go') ? rec.logger : 'main.go'}:${(rec.msg.length * 11) % 400}`],
      ['level', rec.level],
      ['msg', rec.msg],
      ...Object.entries(rec.fields),
    ];
    if (rec.failure) pairs.push(['err', FAILURES[rec.failure].go]);
    return [logfmt(pairs)];
  },
  // logrus's TextFormatter without a terminal: time quoted, level `warning`, fields sorted.
  'logrus-text': (rec) => {
    const fields = Object.entries(rec.fields) as [string, Value][];
    if (rec.failure) fields.push(['error', FAILURES[rec.failure].go]);
    fields.sort(([a], [b]) => (a < b ? -1 : 1));
    const time = `time="${iso(rec.time).replace('.000', '')}"`;
    return [
      `${time} ${logfmt([['level', rec.level === 'warn' ? 'warning' : rec.level], ['msg', rec.text], ...fields])}`,
    ];
  },
  // klog: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, structured (`"msg" key="value"`) or printf-style.
  klog: (rec) => {
    const d = new Date(rec.time);
    const two = (n: number) => String(n).padStart(2, '0');
    const header =
      `${LEVEL_WORDS[rec.level] === 'DEBUG' ? 'I' : LEVEL_WORDS[rec.level][0]}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())} ` +
      `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds() * 1000 + 123).padStart(6, '0')}` +
      `       1 ${rec.logger.includes('.go') ? rec.logger : 'main.go'}:${((rec.msg.length * 13) % 500) + 20}]`;
    if (rec.msg.length % 2 === 0) return [`${header} ${rec.text}${rec.failure ? `: ${FAILURES[rec.failure].go}` : ''}`];
    const pairs: [string, Value][] = Object.entries(rec.fields);
    if (rec.failure) pairs.push(['err', FAILURES[rec.failure].go]);
    const kv = pairs.map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : v}`).join(' ');
    return [`${header} ${JSON.stringify(rec.msg)}${kv ? ` ${kv}` : ''}`];
  },
  'spring-boot-2': (rec, _service, r) => {
    const time = iso(rec.time).replace('T', ' ').replace('Z', '');
    const line = `${time} ${LEVEL_WORDS[rec.level].padStart(5)} 1 --- [${rec.thread.slice(-15).padStart(15)}] ${abbreviate(rec.logger, 39).padEnd(40)}: ${rec.text}`;
    return rec.failure ? [line, ...javaTrace(rec.failure, rec.logger, r)] : [line];
  },
  'spring-boot-3': (rec, _service, r) => {
    const line = `${iso(rec.time)} ${LEVEL_WORDS[rec.level].padStart(5)} 1 --- [orders] [${rec.thread.slice(-15).padStart(15)}] ${abbreviate(rec.logger, 39).padEnd(40)}: ${rec.text}`;
    return rec.failure ? [line, ...javaTrace(rec.failure, rec.logger, r)] : [line];
  },
  // logging.Formatter('%(asctime)s - %(name)s - %(levelname)s - %(message)s'), logger.exception's traceback.
  python: (rec, _service, r) => {
    const time = iso(rec.time).replace('T', ' ').replace('Z', '').replace('.', ',');
    const level = rec.level === 'warn' ? 'WARNING' : LEVEL_WORDS[rec.level];
    const line = `${time} - ${rec.logger} - ${level} - ${rec.text}`;
    return rec.failure && rec.level === 'error' ? [line, ...pythonTrace(rec.failure, rec.logger, r)] : [line];
  },
};

/** Access-log formats: most events are access lines, the rest the server's own log. */
const ACCESS: { [name: string]: { access: (rec: Record, r: Random) => string; server: Formatter } } = {
  nginx: {
    access: (rec, r) => {
      const d = new Date(rec.time);
      const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
      const two = (n: number) => String(n).padStart(2, '0');
      const time = `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
      const f = rec.fields;
      return `${f.client_ip} - ${r.next() < 0.3 ? user(r) : '-'} [${time}] "${f.method} ${f.path} HTTP/1.1" ${f.status} ${r.integer(40, 90000)} "-" "${f.agent}"`;
    },
    server: (rec) => {
      const time = iso(rec.time).slice(0, 19).replaceAll('-', '/').replace('T', ' ');
      const level = rec.level === 'info' || rec.level === 'debug' ? 'notice' : rec.level;
      return [`${time} [${level}] 22#22: *${Math.floor(rec.time / 37) % 100000} ${rec.text}`];
    },
  },
  envoy: {
    access: (rec, r) => {
      const f = rec.fields;
      return `[${iso(rec.time)}] "${f.method} ${f.path} HTTP/1.1" ${f.status} - 0 ${r.integer(40, 90000)} ${f.duration_ms} ${Math.max(1, Number(f.duration_ms) - 1)} "${f.client_ip}" "${f.agent}" "${uuid(r)}" "orders.shop.svc" "10.1.${r.integer(0, 9)}.${r.integer(2, 250)}:8080"`;
    },
    server: (rec) => {
      const time = iso(rec.time).replace('T', ' ').replace('Z', '');
      return [
        `[${time}][1][${rec.level}][upstream] [source/common/upstream/cluster_manager_impl.cc:${(rec.msg.length * 17) % 2000}] ${rec.text}`,
      ];
    },
  },
};

const ACCESS_LINES: Spec = {
  kind: 'access',
  level: 'info',
  weight: 0,
  msg: 'access',
  text: '',
  logger: 'access',
  fields: (r) => {
    // Some 404s, and the odd client gone (499) or upstream failure (502, 503) a healthy service has too.
    const status =
      r.next() < 0.9 ? pick(r, [200, 200, 200, 204, 304]) : r.next() < 0.9 ? 404 : pick(r, [499, 502, 503]);
    return {
      client_ip: ip(r),
      method: pick(r, ['GET', 'GET', 'GET', 'POST']),
      path: pick(r, [
        `/api/v1/orders/${r.integer(1000, 99999)}`,
        `/static/app.${hex(r, 8)}.js`,
        '/healthz',
        `/api/v1/customers/${user(r)}`,
      ]),
      status,
      agent: pick(r, [
        'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
        'kube-probe/1.31',
        'Go-http-client/1.1',
      ]),
      duration_ms: ms(r, 20),
    };
  },
};

const THREADS = ['main', 'http-nio-8080-exec-1', 'http-nio-8080-exec-7', 'scheduling-1', 'task-3'];

function record(spec: Spec, time: number, r: Random): Record {
  const fields = spec.fields(r);
  return {
    time,
    level: spec.level,
    msg: spec.msg,
    text: interpolate(spec.text, fields),
    fields,
    ...(spec.failure ? { failure: spec.failure } : {}),
    logger: spec.logger,
    thread: pick(r, THREADS),
  };
}

function chooseSpec(specs: readonly Spec[], r: Random): Spec {
  const total = specs.reduce((sum, s) => sum + s.weight, 0);
  let at = r.next() * total;
  for (const spec of specs) if ((at -= spec.weight) < 0) return spec;
  return specs[specs.length - 1]!;
}

/** The services: each format by two of the vocabularies. */
const SERVICES: { format: string; vocabulary: 'api' | 'worker' | 'controller' }[] = [
  { format: 'zap', vocabulary: 'api' },
  { format: 'zap', vocabulary: 'controller' },
  { format: 'logrus', vocabulary: 'worker' },
  { format: 'logrus', vocabulary: 'api' },
  { format: 'pino', vocabulary: 'api' },
  { format: 'pino', vocabulary: 'worker' },
  { format: 'bunyan', vocabulary: 'worker' },
  { format: 'bunyan', vocabulary: 'api' },
  { format: 'logstash', vocabulary: 'api' },
  { format: 'logstash', vocabulary: 'worker' },
  { format: 'ecs', vocabulary: 'api' },
  { format: 'ecs', vocabulary: 'worker' },
  { format: 'structlog', vocabulary: 'worker' },
  { format: 'structlog', vocabulary: 'api' },
  { format: 'gokit', vocabulary: 'controller' },
  { format: 'gokit', vocabulary: 'worker' },
  { format: 'logrus-text', vocabulary: 'api' },
  { format: 'logrus-text', vocabulary: 'controller' },
  { format: 'klog', vocabulary: 'controller' },
  { format: 'klog', vocabulary: 'worker' },
  { format: 'spring-boot-2', vocabulary: 'api' },
  { format: 'spring-boot-3', vocabulary: 'worker' },
  { format: 'python', vocabulary: 'worker' },
  { format: 'python', vocabulary: 'api' },
  { format: 'nginx', vocabulary: 'api' },
  { format: 'envoy', vocabulary: 'api' },
];
const VOCABULARIES = { api: API, worker: WORKER, controller: CONTROLLER };

/** EVENTS events of every service, seeded: the same seed gives the same logs. */
export function generateLogs(seed: number, events = 2000): GeneratedLog[] {
  return SERVICES.map(({ format, vocabulary }, index) => {
    const r = createRandom(seed * 1000 + index);
    const service: Service = { pod: `${vocabulary}-${hex(r, 9)}-${hex(r, 5)}` };
    const specs = VOCABULARIES[vocabulary];
    const access = ACCESS[format];
    const write: Formatter = access ? access.server : FORMATS[format]!;
    const start = Date.UTC(2026, 11, 7, 10, 0, 0) + r.integer(0, 3_600_000);
    const out: GeneratedEvent[] = [];
    let time = start;
    for (let i = 0; i < events; i++) {
      time += r.integer(1, 80);
      if (access && r.next() < 0.85) {
        const rec = record(ACCESS_LINES, time, r);
        const status = Number(rec.fields.status);
        out.push({ lines: [access.access(rec, r)], kind: `access-${status}`, level: 'info', time });
        continue;
      }
      const spec = chooseSpec(specs, r);
      out.push({ lines: write(record(spec, time, r), service, r), kind: spec.kind, level: spec.level, time });
    }
    return {
      name: `${format}/${vocabulary}`,
      format,
      events: out,
      // At the time of the event it is written beside, as the service would have written it.
      newError: (random, near) => write(record(NEW_ERROR, near.time, random), service, random),
    };
  });
}

/** A generated log as a case source: warnings by the level the service wrote them at. */
export function generatedSource(log: GeneratedLog): CaseSource {
  const byLines = new Map<readonly string[], GeneratedEvent>(log.events.map((event) => [event.lines, event]));
  return {
    name: log.name,
    events: log.events.map((event) => event.lines),
    kinds: log.events.map((event) => event.kind),
    warnings: log.events.map((event) => event.level === 'warn'),
    newError: () => (random, near) => {
      // `near` may be a new error written before: it stands at the time of the event it was written beside.
      const beside = byLines.get(near)!;
      const lines = log.newError(random, beside);
      byLines.set(lines, { ...beside, lines });
      return lines;
    },
  };
}
