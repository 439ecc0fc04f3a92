// Every builtin the pinned OPA version declares is implemented or refused with a documented reason.
import { compile } from './index';
import { opaCapabilities, OPA_VERSION } from './opa-module';
import { BUILTINS } from './builtins/registry';
import { UNSUPPORTED_BUILTINS } from './builtins/unsupported';

// `=` and `:=` are evaluated by the engine itself, not as registered builtins.
const OPERATORS = new Set(['eq', 'assign']);

describe(`OPA ${OPA_VERSION} capabilities.json`, () => {
  const declared = opaCapabilities().builtins.map((b) => b.name);

  it('declares every builtin this engine has or refuses', () => {
    const neither = declared.filter((n) => !BUILTINS.has(n) && !UNSUPPORTED_BUILTINS.has(n) && !OPERATORS.has(n));
    const both = declared.filter((n) => BUILTINS.has(n) && UNSUPPORTED_BUILTINS.has(n));
    expect({ neither, both }).toEqual({ neither: [], both: [] });
    expect(declared.length).toBeGreaterThan(150);
  });

  it('refuses an unsupported builtin at compile time, naming the reason and the decision record', () => {
    expect(() => compile([{ name: 'p.rego', source: 'package p\nx := net.lookup_ip_addr("example.com")' }])).toThrow(
      /p\.rego:2: rego_type_error: net\.lookup_ip_addr is not supported: DNS lookups .*docs\/decisions\/015-unsupported-builtins\.md/,
    );
  });
});
