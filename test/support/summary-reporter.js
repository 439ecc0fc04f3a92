// Prints the closing line CI reads: `N passed, N failed`. A suite that crashed before running
// its tests counts as one failure, so a broken file can never pass silently.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const crashedSuites = results.testResults.filter(
      (suite) => suite.numFailingTests === 0 && (suite.testExecError || suite.failureMessage),
    ).length;
    const failed = results.numFailedTests + crashedSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = SummaryReporter;
