// The static type check of builtin calls against the real `opa`: every builtin with a typed argument is
// called with, in each argument position, each of a set of literals and calls (the other arguments literals of the
// declared type), written in the call and bound to a local first. Our compiler must never refuse what OPA accepts, and where both refuse, say what the
// call has (`have: (string, array<number>)`) as OPA does. OPA, which also infers types of variables,
// refuses more; those calls compile here and fail or differ at run time.
import { BUILTIN_SIGNATURES, compile, formatType, RegoError, type OpaType } from '@isd/rego';
import { OpaServer } from './differential';

// Literals, and calls whose result has a declared type (OPA's checker types them by it as well).
const CANDIDATES = [
  '1',
  '"a"',
  'true',
  'null',
  '[1]',
  '["a"]',
  '[]',
  '{"a": 1}',
  '{}',
  '{1}',
  '{"a"}',
  'set()',
  'count([])',
  'upper("a")',
  'split("a", ",")',
  'is_string(1)',
  'object.keys({})',
  'json.unmarshal("1")',
];

/** A literal of the declared type, for the arguments not under test. */
function example(t: OpaType): string {
  switch (t.type) {
    case 'string':
      return '"a"';
    case 'number':
      return '1';
    case 'boolean':
      return 'true';
    case 'null':
      return 'null';
    case 'array':
      return '[]';
    case 'object':
      return '{}';
    case 'set':
      return 'set()';
    case 'any':
      return t.of?.[0] ? example(t.of[0]) : '1';
    default:
      return '1';
  }
}

/** The `have:` line of our message. */
function haveLine(message: string): string | undefined {
  return /have: \(.*\)/.exec(message)?.[0];
}

/** The `have:` line OPA's message has, written from the types its REST API gives (null is unknown). */
function opaHaveLine(have: unknown[]): string {
  return `have: (${have.map((t) => formatType((t ?? undefined) as OpaType | undefined)).join(', ')})`;
}

describe('static type check of builtin calls against opa', () => {
  let opa: OpaServer;
  beforeAll(async () => {
    opa = await OpaServer.start();
  }, 60_000);
  afterAll(async () => {
    await opa?.stop();
  });

  it('never refuses a call OPA accepts, and shows the same argument types when both refuse', async () => {
    const wrongRefusals: string[] = [];
    const differentText: string[] = [];
    let bothRefuse = 0;
    let onlyOpaRefuses = 0;
    let calls = 0;
    for (const [name, signature] of Object.entries(BUILTIN_SIGNATURES)) {
      for (let position = 0; position < signature.args.length; position++) {
        // Each candidate written in the call, and bound to a local first (`v := 1` then `upper(v)`), which
        // OPA's checker types the same way.
        for (const [candidate, local] of CANDIDATES.flatMap((c) => [
          [c, false],
          [c, true],
        ])) {
          const args = signature.args.map((t, i) => (i === position ? (local ? 'v' : candidate) : example(t)));
          const binding = local ? `  v := ${candidate}\n` : '';
          const source = `package p\n\nq if {\n${binding}  x := ${name}(${args.join(', ')})\n}\n`;
          calls++;
          let ours: string | undefined;
          try {
            compile([{ name: 'p.rego', source }]);
          } catch (err) {
            if (!(err instanceof RegoError)) throw err;
            if (err.message.includes('invalid argument(s)')) ours = err.message;
          }
          const typeError = (await opa.check('p.rego', source))?.find(
            (e) => e.code === 'rego_type_error' && e.message === `${name}: invalid argument(s)`,
          );
          const call = `${binding}${name}(${args.join(', ')})`;
          if (ours !== undefined && !typeError) wrongRefusals.push(call);
          else if (ours !== undefined && typeError) {
            bothRefuse++;
            const theirs = opaHaveLine(typeError.details?.have ?? []);
            if (haveLine(ours) !== theirs) differentText.push(`${call}: ${haveLine(ours)} vs ${theirs}`);
          } else if (typeError) {
            onlyOpaRefuses++;
            if (process.env.SHOW_ONLY_OPA) console.log(`${call} ${opaHaveLine(typeError.details?.have ?? [])}`);
          }
        }
      }
    }
    console.log(JSON.stringify({ calls, bothRefuse, onlyOpaRefuses }));
    expect(wrongRefusals).toEqual([]);
    expect(differentText).toEqual([]);
    // The check must do something: most literal misuses OPA refuses are refused here too.
    expect(bothRefuse).toBeGreaterThan(onlyOpaRefuses);
  }, 600_000);
});
