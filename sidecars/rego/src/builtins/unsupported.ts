// Builtins of OPA v1.22.4's capabilities.json this engine refuses at compile time, each with the reason
// (docs/decisions/015-unsupported-builtins.md). A policy calling one fails to compile with that reason
// instead of the generic "undefined function".

export const DECISION = 'docs/decisions/015-unsupported-builtins.md';

export const UNSUPPORTED_BUILTINS = new Map<string, string>([
  ['net.lookup_ip_addr', 'DNS lookups from policies are not allowed (evaluation must not reach the network)'],
  ['internal.print', 'internal to OPA: `print` is called directly'],
  ['internal.test_case', "internal to OPA's test runner"],
]);
