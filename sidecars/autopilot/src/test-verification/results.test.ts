import { parseJenkinsTestReport, parseTestResultsXml, TestReportError, type TestCase } from './results';

// Written after what each tool emits: maven-surefire-plugin 3.x (with rerunFailingTestsCount), pytest
// --junitxml (xunit2 family), jest-junit defaults, xUnit.net v2 `-xml`.
const surefire = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0" name="com.acme.cart.CartServiceTest" time="1,204.512" tests="4" errors="1" skipped="1" failures="0">
  <properties><property name="java.version" value="17.0.9"/></properties>
  <testcase name="addsItem" classname="com.acme.cart.CartServiceTest" time="0.012"/>
  <testcase name="checksOut" classname="com.acme.cart.CartServiceTest" time="1.5">
    <flakyFailure message="expected: &lt;3&gt; but was: &lt;2&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected: <3> but was: <2>
	at com.acme.cart.CartServiceTest.checksOut(CartServiceTest.java:41)]]></flakyFailure>
  </testcase>
  <testcase name="refunds" classname="com.acme.cart.CartServiceTest" time="0.2">
    <error message="Connection refused" type="java.net.ConnectException">java.net.ConnectException: Connection refused</error>
    <rerunError message="Connection refused" type="java.net.ConnectException"/>
    <system-out><![CDATA[<!DOCTYPE html><html>printed by the test</html>]]></system-out>
  </testcase>
  <testcase name="legacyTax" classname="com.acme.cart.CartServiceTest" time="0">
    <skipped message="@Disabled: JIRA-12"/>
  </testcase>
</testsuite>`;

const pytest = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="3" time="2.817" timestamp="2026-12-06T10:00:00.000000" hostname="ci-7"><testcase classname="tests.test_orders" name="test_create_order" time="0.004" /><testcase classname="tests.test_orders" name="test_cancel_order[paid]" time="0.101"><failure message="AssertionError: assert 'open' == 'canceled'">def test_cancel_order(state):
&gt;       assert order.state == "canceled"
E       AssertionError: assert 'open' == 'canceled'</failure></testcase><testcase classname="tests.test_orders" name="test_slow_path" time="0.000"><skipped type="pytest.skip" message="needs database">tests/test_orders.py:40: needs database</skipped></testcase></testsuite></testsuites>`;

const jestJunit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="1" errors="0" time="3.21">
  <testsuite name="Cart" errors="0" failures="1" skipped="0" timestamp="2026-12-06T10:00:00" time="1.5" tests="2">
    <testcase classname="Cart adds an item" name="Cart adds an item" time="0.003">
    </testcase>
    <testcase classname="Cart totals the basket" name="Cart totals the basket" time="0.021">
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: 30
Received: 29</failure>
    </testcase>
  </testsuite>
  <testsuite name="Checkout" errors="0" failures="0" skipped="0" timestamp="2026-12-06T10:00:01" time="1.7" tests="1">
    <testcase classname="Checkout pays" name="Checkout pays" time="1.2">
    </testcase>
  </testsuite>
</testsuites>`;

const xunit = `<?xml version="1.0" encoding="utf-8"?>
<assemblies timestamp="12/06/2026 10:00:00">
  <assembly name="/src/Acme.Tests/bin/Release/net8.0/Acme.Tests.dll" run-date="2026-12-06" run-time="10:00:00" config-file="" total="3" passed="1" failed="1" skipped="1" time="0.512" errors="0">
    <errors />
    <collection total="3" passed="1" failed="1" skipped="1" name="Test collection for Acme.Tests.PriceTests" time="0.100">
      <test name="Acme.Tests.PriceTests.Rounds(value: 1.005)" type="Acme.Tests.PriceTests" method="Rounds" time="0.0041" result="Pass">
        <traits />
      </test>
      <test name="Acme.Tests.PriceTests.Discounts" type="Acme.Tests.PriceTests" method="Discounts" time="0.0502" result="Fail">
        <failure exception-type="Xunit.Sdk.EqualException">
          <message><![CDATA[Assert.Equal() Failure
Expected: 90
Actual:   100]]></message>
          <stack-trace><![CDATA[   at Acme.Tests.PriceTests.Discounts() in /src/PriceTests.cs:line 22]]></stack-trace>
        </failure>
      </test>
      <test name="Acme.Tests.PriceTests.Currency" type="Acme.Tests.PriceTests" method="Currency" time="0" result="Skip">
        <reason><![CDATA[waiting for FX feed]]></reason>
      </test>
    </collection>
  </assembly>
</assemblies>`;

const byName = (cases: TestCase[]) => new Map(cases.map((c) => [c.name, c]));

describe('parseTestResultsXml', () => {
  it('reads a surefire report: errors fail, skips, reruns that passed and reruns that failed', () => {
    const cases = byName(parseTestResultsXml(surefire));
    expect(cases.size).toBe(4);
    expect(cases.get('addsItem')).toMatchObject({
      id: 'com.acme.cart.CartServiceTest.addsItem',
      outcome: 'passed',
      durationMs: 12,
      failedAttempts: 0,
    });
    expect(cases.get('checksOut')).toMatchObject({
      outcome: 'passed',
      durationMs: 1500,
      failedAttempts: 1,
      message: 'expected: <3> but was: <2>',
    });
    expect(cases.get('refunds')).toMatchObject({ outcome: 'failed', message: 'Connection refused', failedAttempts: 1 });
    expect(cases.get('legacyTax')).toMatchObject({ outcome: 'skipped', message: '@Disabled: JIRA-12' });
  });

  it('reads pytest: parametrised names, failure text, skip reason', () => {
    const cases = byName(parseTestResultsXml(pytest));
    expect(cases.get('test_cancel_order[paid]')).toMatchObject({
      id: 'tests.test_orders.test_cancel_order[paid]',
      outcome: 'failed',
      durationMs: 101,
      message: "AssertionError: assert 'open' == 'canceled'",
    });
    expect(cases.get('test_slow_path')).toMatchObject({ outcome: 'skipped', message: 'needs database' });
    expect(cases.get('test_create_order')).toMatchObject({ outcome: 'passed', durationMs: 4, suite: 'pytest' });
  });

  it('reads jest-junit: suites per describe, body-only failure text', () => {
    const cases = parseTestResultsXml(jestJunit);
    expect(cases.map((c) => [c.suite, c.outcome])).toEqual([
      ['Cart', 'passed'],
      ['Cart', 'failed'],
      ['Checkout', 'passed'],
    ]);
    expect(cases[1]!.message).toBe('Error: expect(received).toBe(expected) // Object.is equality');
    expect(cases[2]!.durationMs).toBe(1200);
  });

  it('reads xUnit.net: Pass/Fail/Skip, the failure message element, the skip reason', () => {
    const cases = parseTestResultsXml(xunit);
    expect(cases).toEqual([
      expect.objectContaining({
        id: 'Acme.Tests.PriceTests.Rounds(value: 1.005)',
        className: 'Acme.Tests.PriceTests',
        name: 'Rounds(value: 1.005)',
        outcome: 'passed',
        durationMs: 4,
      }),
      expect.objectContaining({ outcome: 'failed', message: 'Assert.Equal() Failure', durationMs: 50 }),
      expect.objectContaining({ outcome: 'skipped', message: 'waiting for FX feed' }),
    ]);
  });

  it('reads suites nested in suites (Ant) and a single-testcase suite', () => {
    const cases = parseTestResultsXml(
      '<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="a" time="1"/></testsuite><testcase classname="K" name="b"/></testsuite></testsuites>',
    );
    expect(cases.map((c) => [c.id, c.suite, c.durationMs])).toEqual([
      ['K.b', 'outer', null],
      ['inner.a', 'inner', 1000],
    ]);
  });

  const refused = (text: string, limits?: Parameters<typeof parseTestResultsXml>[1]) => {
    try {
      parseTestResultsXml(text, limits);
    } catch (error) {
      expect(error).toBeInstanceOf(TestReportError);
      return (error as TestReportError).problem;
    }
    throw new Error('expected the report to be refused');
  };

  it('refuses an entity bomb and any DTD, without expanding anything', () => {
    const lol = `<?xml version="1.0"?>
<!-- a comment first -->
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<testsuite><testcase name="&lol2;"/></testsuite>`;
    expect(refused(lol)).toMatch(/DOCTYPE \(DTD\) is not accepted/);
    expect(refused('<!DOCTYPE x SYSTEM "file:///etc/passwd"><testsuite/>')).toMatch(/DOCTYPE/);
    expect(refused('<testsuite><!ENTITY x "y"><testcase name="a"/></testsuite>')).toMatch(/ENTITY declaration/);
  });

  it('refuses deep nesting, oversize documents and too many test cases, naming the limit', () => {
    const deep = `${'<testsuite>'.repeat(5000)}${'</testsuite>'.repeat(5000)}`;
    expect(refused(deep)).toMatch(/nested deeper than 32 levels/);
    expect(refused(surefire, { maxBytes: 100, maxTestCases: 10, maxDepth: 32 })).toBe(
      'the report is larger than 100 bytes',
    );
    expect(refused(surefire, { maxBytes: 1e6, maxTestCases: 3, maxDepth: 32 })).toBe(
      'the report holds more than 3 test cases',
    );
  });

  it('says what is wrong with a document that is not a test report', () => {
    expect(refused('<html><body/></html>')).toMatch(/root element is <html>/);
    expect(refused('<testsuite><testcase></testsuite>')).toMatch(/^not well-formed XML/);
    expect(refused('{"suites": []}')).toMatch(/not well-formed XML|no root element/);
    expect(refused('')).toMatch(/no root element|not well-formed/);
  });
});

describe('parseJenkinsTestReport', () => {
  it("reads Jenkins' TestResult JSON: statuses FIXED and REGRESSION, seconds, errorDetails", () => {
    const cases = parseJenkinsTestReport({
      _class: 'hudson.tasks.junit.TestResult',
      duration: 3.2,
      failCount: 1,
      passCount: 2,
      skipCount: 1,
      suites: [
        {
          name: 'com.acme.CartTest',
          duration: 3.2,
          cases: [
            { className: 'com.acme.CartTest', name: 'adds', duration: 0.5, status: 'PASSED', skipped: false },
            { className: 'com.acme.CartTest', name: 'pays', duration: 1.25, status: 'FIXED', skipped: false },
            {
              className: 'com.acme.CartTest',
              name: 'refunds',
              duration: 0.1,
              status: 'REGRESSION',
              errorDetails: 'expected 3\nbut was 2',
              skipped: false,
            },
            { className: 'com.acme.CartTest', name: 'tax', duration: 0, status: 'SKIPPED', skipped: true },
          ],
        },
      ],
    });
    expect(cases.map((c) => [c.name, c.outcome, c.durationMs, c.message])).toEqual([
      ['adds', 'passed', 500, null],
      ['pays', 'passed', 1250, null],
      ['refunds', 'failed', 100, 'expected 3'],
      ['tax', 'skipped', 0, null],
    ]);
  });

  it('reads the child reports of a matrix or aggregated result', () => {
    const cases = parseJenkinsTestReport({
      _class: 'hudson.tasks.test.MatrixTestResult',
      childReports: [
        {
          child: { number: 7 },
          result: { suites: [{ name: 's', cases: [{ className: 'A', name: 'x', status: 'PASSED' }] }] },
        },
        {
          child: { number: 7 },
          result: { suites: [{ name: 's', cases: [{ className: 'A', name: 'x', status: 'FAILED' }] }] },
        },
      ],
    });
    expect(cases.map((c) => c.outcome)).toEqual(['passed', 'failed']);
  });

  it('refuses JSON that is not a test report', () => {
    expect(() => parseJenkinsTestReport({ jobs: [] })).toThrow(/neither suites nor childReports/);
  });
});
