// Syntax tree for Rego modules and queries, shared by the parser, compiler and evaluator.
import type { Value } from './value';

/** Position of a node in its source, 1-based. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** A term: scalar, variable, reference, composite, comprehension or call. */
export type Term =
  | { type: 'scalar'; value: Value; loc: Location }
  | { type: 'var'; name: string; loc: Location }
  | { type: 'ref'; head: Term; path: Term[]; loc: Location }
  | { type: 'array'; items: Term[]; loc: Location }
  | { type: 'set'; items: Term[]; loc: Location }
  | { type: 'object'; items: [Term, Term][]; loc: Location }
  | { type: 'arraycompr'; head: Term; body: Expr[]; loc: Location }
  | { type: 'setcompr'; head: Term; body: Expr[]; loc: Location }
  | { type: 'objectcompr'; key: Term; value: Term; body: Expr[]; loc: Location }
  | {
      type: 'call';
      name: string;
      fn: Term;
      args: Term[];
      loc: Location;
      target?: CallTarget;
      /** An `internal.template_string` call written in backquotes (for rego.parse_module). */
      multiLine?: boolean;
    };

/** What a call resolves to after compilation. */
export type CallTarget = { kind: 'builtin'; name: string } | { kind: 'function'; path: string[] } | { kind: 'dynamic' };

/** A `with` modifier on an expression. */
export interface With {
  target: Term;
  value: Term;
  loc: Location;
}

/** An expression (a literal of a body). */
export type Expr = (
  | { kind: 'term'; term: Term }
  | { kind: 'not'; expr: Expr }
  | { kind: 'notbody'; body: Expr[] }
  | { kind: 'block'; body: Expr[] }
  | { kind: 'and'; left: Expr; right: Expr }
  | { kind: 'or'; left: Expr; right: Expr }
  | { kind: 'some'; vars: Term[] }
  | { kind: 'somein'; key?: Term; value: Term; collection: Term }
  | { kind: 'every'; key?: Term; value: Term; domain: Term; body: Expr[] }
) & {
  with: With[];
  loc: Location;
  /** The `true` body the parser gives a rule written without one (OPA's `generated`). */
  generated?: boolean;
};

/** A rule: complete, multi-value (partial set), or function, with a ref head. */
export interface Rule {
  /** Head reference relative to the package; the first element is a var-name string. */
  ref: Term[];
  kind: 'single' | 'multi' | 'function';
  isDefault: boolean;
  /** Element term for multi-value rules. */
  key?: Term;
  value: Term;
  args?: Term[];
  body: Expr[];
  elseRule?: Rule;
  loc: Location;
  /** Set by the compiler: the module this rule belongs to. */
  module?: Module;
  /** Normalised `# METADATA` annotations written above the rule. */
  annotations?: Value;
  /** How the head was written, for rego.parse_module: `:=` (OPA's `assign`), and `if` before the body. */
  assign?: boolean;
  hasIf?: boolean;
  /** The value is the `true` of a head written without one (`p if …`, `p[x] if …`). */
  generatedValue?: boolean;
}

/** An import declaration. */
export interface Import {
  path: Term;
  alias?: string;
  loc: Location;
}

/** A parsed module. */
export interface Module {
  file: string;
  packagePath: string[];
  imports: Import[];
  rules: Rule[];
  regoVersion: 'v0' | 'v1';
  /** Normalised `# METADATA` annotations written above the package clause. */
  packageAnnotations?: Value;
  /** Every `#` comment, in order. */
  comments?: { line: number; column: number; text: string }[];
}
