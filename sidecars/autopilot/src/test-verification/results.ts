// Test results of one run (one build's report): JUnit XML (surefire, pytest, jest-junit, Gradle, …),
// xUnit.net XML (`<assemblies>`) and Jenkins' own test report JSON, read into one list of test cases.
// The XML comes from CI servers and artifact stores the stage names, so it is read defensively: a size
// limit before parsing, no DTD (so no entity expansion at all), a nesting limit, a test case limit.
import { XMLParser } from 'fast-xml-parser';

/** How one test ended in one attempt. */
export type TestOutcome = 'passed' | 'failed' | 'skipped';

/** One test case as a report lists it. */
export interface TestCase {
  /** `className.name` (or `suite.name` when the report names no class): how runs are matched. */
  id: string;
  suite: string;
  className: string;
  name: string;
  outcome: TestOutcome;
  /** null when the report gives no time. */
  durationMs: number | null;
  /** The failure, error or skip message (first line, shortened). */
  message: string | null;
  /** Failed attempts before a pass within this run (surefire `flakyFailure`, `rerunFailure`). */
  failedAttempts: number;
}

/** Bounds on what one report may hold. */
export interface ResultLimits {
  maxBytes: number;
  maxTestCases: number;
  maxDepth: number;
}

export const DEFAULT_RESULT_LIMITS: ResultLimits = { maxBytes: 32 * 1024 * 1024, maxTestCases: 200_000, maxDepth: 32 };

/** A report that cannot be read: `problem` says what is wrong with it in words. */
export class TestReportError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'TestReportError';
  }
}

const MESSAGE_CHARS = 500;
// Elements that can repeat; fast-xml-parser returns a single one as an object otherwise.
const REPEATED = new Set([
  'testsuite',
  'testcase',
  'failure',
  'error',
  'skipped',
  'flakyFailure',
  'flakyError',
  'rerunFailure',
  'rerunError',
  'assembly',
  'collection',
  'test',
]);

type XmlNode = Record<string, unknown>;

/** Reads a JUnit or xUnit.net XML report. */
export function parseTestResultsXml(text: string, limits: ResultLimits = DEFAULT_RESULT_LIMITS): TestCase[] {
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes)
    throw new TestReportError(`the report is larger than ${limits.maxBytes} bytes`);
  refuseDoctype(text);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    // Without a DTD only the five XML entities and character references exist; no expansion can grow.
    processEntities: true,
    htmlEntities: false,
    maxNestedTags: limits.maxDepth,
    isArray: (name) => REPEATED.has(name),
  });
  let document: XmlNode;
  try {
    document = parser.parse(text, true) as XmlNode;
  } catch (error) {
    const message = (error as Error).message;
    throw new TestReportError(
      /nested tags/i.test(message)
        ? `elements are nested deeper than ${limits.maxDepth} levels`
        : `not well-formed XML: ${message}`,
    );
  }
  const cases: TestCase[] = [];
  const add = (testCase: TestCase) => {
    if (cases.length >= limits.maxTestCases)
      throw new TestReportError(`the report holds more than ${limits.maxTestCases} test cases`);
    cases.push(testCase);
  };
  const root = Object.keys(document).find((key) => !key.startsWith('?') && !key.startsWith('#'));
  if (root === 'testsuites' || root === 'testsuite') {
    const top = document[root];
    const suites = root === 'testsuite' ? asNodes(top) : asNodes(asNode(top).testsuite);
    for (const suite of suites) readJunitSuite(suite, '', add, limits.maxDepth);
  } else if (root === 'assemblies' || root === 'assembly') {
    const assemblies = root === 'assembly' ? asNodes(document[root]) : asNodes(asNode(document[root]).assembly);
    for (const assembly of assemblies) readXunitAssembly(assembly, add);
  } else {
    throw new TestReportError(
      root
        ? `not a JUnit (<testsuites>, <testsuite>) or xUnit.net (<assemblies>) report: the root element is <${root}>`
        : 'the document has no root element',
    );
  }
  return cases;
}

/** DTDs are refused outright: an internal subset is where entity bombs and external entities live. */
function refuseDoctype(text: string): void {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (text.startsWith('<?', at)) {
      const end = text.indexOf('?>', at);
      if (end < 0) return;
      at = end + 2;
    } else if (text.startsWith('<!--', at)) {
      const end = text.indexOf('-->', at);
      if (end < 0) return;
      at = end + 3;
    } else break;
  }
  if (/^<!DOCTYPE/i.test(text.slice(at, at + 9)))
    throw new TestReportError('a DOCTYPE (DTD) is not accepted in a test report: no entities are expanded');
  // A declaration anywhere else is not well-formed XML; say so rather than leaving it to the parser.
  if (/<!(DOCTYPE|ENTITY)\s/i.test(text.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '')))
    throw new TestReportError('a DOCTYPE or ENTITY declaration is not accepted in a test report');
}

function readJunitSuite(suite: XmlNode, parent: string, add: (testCase: TestCase) => void, depth: number): void {
  const name = attribute(suite, 'name') || parent;
  for (const testCase of asNodes(suite.testcase)) {
    const className = attribute(testCase, 'classname') || attribute(testCase, 'class');
    const caseName = attribute(testCase, 'name');
    const failures = [...asNodes(testCase.failure), ...asNodes(testCase.error)];
    const skipped = asNodes(testCase.skipped);
    const reruns = [
      ...asNodes(testCase.flakyFailure),
      ...asNodes(testCase.flakyError),
      ...asNodes(testCase.rerunFailure),
      ...asNodes(testCase.rerunError),
    ];
    const outcome: TestOutcome = failures.length ? 'failed' : skipped.length ? 'skipped' : 'passed';
    add({
      id: `${className || name}.${caseName}`,
      suite: name,
      className,
      name: caseName,
      outcome,
      durationMs: seconds(attribute(testCase, 'time')),
      message: messageOf(failures[0] ?? skipped[0] ?? reruns[0]),
      // rerunFailure/rerunError sit beside the final failure; flaky* beside a final pass.
      failedAttempts: reruns.length,
    });
  }
  // Ant and some Gradle plugins nest suites; depth is bounded by the parser's nesting limit already.
  if (depth > 0) for (const nested of asNodes(suite.testsuite)) readJunitSuite(nested, name, add, depth - 1);
}

function readXunitAssembly(assembly: XmlNode, add: (testCase: TestCase) => void): void {
  const assemblyName = attribute(assembly, 'name');
  for (const collection of asNodes(assembly.collection)) {
    const collectionName = attribute(collection, 'name') || assemblyName;
    for (const test of asNodes(collection.test)) {
      const result = attribute(test, 'result');
      const type = attribute(test, 'type');
      const name = attribute(test, 'name');
      const failure = asNodes(test.failure)[0];
      const outcome: TestOutcome = result === 'Pass' ? 'passed' : result === 'Skip' ? 'skipped' : 'failed';
      add({
        // xUnit.net's name is already `Type.Method(args)`: it is the id as it stands.
        id: name,
        suite: collectionName,
        className: type,
        name: type && name.startsWith(`${type}.`) ? name.slice(type.length + 1) : name,
        outcome,
        durationMs: seconds(attribute(test, 'time')),
        message: failure
          ? messageOf(asNode(failure).message ?? failure)
          : outcome === 'skipped'
            ? messageOf(test.reason)
            : outcome === 'failed'
              ? `result ${result || 'missing'}`
              : null,
        failedAttempts: 0,
      });
    }
  }
}

/** Jenkins' own JSON (`/testReport/api/json`): suites and cases, or a matrix/aggregate's child reports. */
export function parseJenkinsTestReport(json: unknown, limits: ResultLimits = DEFAULT_RESULT_LIMITS): TestCase[] {
  const report = asNode(json);
  const cases: TestCase[] = [];
  const readSuites = (result: XmlNode) => {
    for (const suite of asNodes(result.suites)) {
      const suiteName = typeof suite.name === 'string' ? suite.name : '';
      for (const item of asNodes(suite.cases)) {
        if (cases.length >= limits.maxTestCases)
          throw new TestReportError(`the report holds more than ${limits.maxTestCases} test cases`);
        const className = typeof item.className === 'string' ? item.className : '';
        const name = typeof item.name === 'string' ? item.name : '';
        // Jenkins' CaseResult.Status: PASSED, SKIPPED, FAILED, FIXED (passed, failed before), REGRESSION.
        const status = typeof item.status === 'string' ? item.status : '';
        const outcome: TestOutcome =
          item.skipped === true || status === 'SKIPPED'
            ? 'skipped'
            : status === 'FAILED' || status === 'REGRESSION'
              ? 'failed'
              : 'passed';
        const detail = outcome === 'skipped' ? item.skippedMessage : item.errorDetails;
        cases.push({
          id: `${className || suiteName}.${name}`,
          suite: suiteName,
          className,
          name,
          outcome,
          durationMs: typeof item.duration === 'number' ? Math.round(item.duration * 1000) : null,
          message: typeof detail === 'string' ? shorten(detail) : null,
          failedAttempts: 0,
        });
      }
    }
  };
  if (!Array.isArray(report.suites) && !Array.isArray(report.childReports))
    throw new TestReportError('not a Jenkins test report: it has neither suites nor childReports');
  readSuites(report);
  for (const child of asNodes(report.childReports)) readSuites(asNode(child.result));
  return cases;
}

function asNode(value: unknown): XmlNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as XmlNode) : {};
}

function asNodes(value: unknown): XmlNode[] {
  if (value === undefined || value === null) return [];
  // An empty element (`<skipped/>`) parses as '' and still counts.
  return (Array.isArray(value) ? value : [value]).map((item) =>
    typeof item === 'string' ? { '#text': item } : asNode(item),
  );
}

function attribute(node: XmlNode, name: string): string {
  const value = node[`@${name}`];
  return typeof value === 'string' ? value : '';
}

/** Seconds as reports write them (`1.234`, `1,234.5` from older surefire) to ms; null when absent or not a number. */
function seconds(text: string): number | null {
  if (text === '') return null;
  const value = Number(text.replace(/,/g, ''));
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null;
}

function messageOf(node: unknown): string | null {
  if (node === undefined || node === null) return null;
  if (typeof node === 'string') return node ? shorten(node) : null;
  const element = asNode(Array.isArray(node) ? node[0] : node);
  const text = attribute(element, 'message') || (typeof element['#text'] === 'string' ? element['#text'] : '');
  return text ? shorten(text) : null;
}

function shorten(text: string): string {
  const line = text.trim().split('\n', 1)[0]!.trim();
  return line.length > MESSAGE_CHARS ? `${line.slice(0, MESSAGE_CHARS)}…` : line;
}
