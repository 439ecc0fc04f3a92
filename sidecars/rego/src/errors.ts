// Error types of the Rego engine; each carries a stable `code` like OPA's error codes.
import type { Location } from './ast';

/** Base class of every error the engine raises. */
export class RegoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly location?: Location,
  ) {
    super(location ? `${location.file}:${location.line}: ${code}: ${message}` : `${code}: ${message}`);
    this.name = 'RegoError';
  }
}

/** A syntax error: where it happened and what the parser expected there. */
export class ParseError extends RegoError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly expected: string,
    readonly found: string,
    tokenName: string = found,
  ) {
    // Worded like OPA's parser ("unexpected eof token: expected ident") with the column added.
    super('rego_parse_error', `unexpected ${tokenName} token: expected ${expected} (column ${column})`, {
      file,
      line,
      column,
    });
    this.name = 'ParseError';
  }
}

/** A compile-time error (unsafe variable, recursion, conflicting rules, type error). */
export class CompileError extends RegoError {
  constructor(code: string, message: string, location?: Location) {
    super(code, message, location);
    this.name = 'CompileError';
  }
}

/** An evaluation error with OPA's topdown code (`eval_type_error`, `eval_builtin_error`, `eval_conflict_error`). */
export class EvalError extends RegoError {
  constructor(code: string, message: string, location?: Location) {
    super(code, message, location);
    this.name = 'EvalError';
  }
}

/** Which budget an evaluation ran out of. */
export type BudgetLimit = 'steps' | 'time' | 'memory';

const budgetUnits: Record<BudgetLimit, string> = { steps: 'steps', time: 'ms', memory: 'bytes' };

/** Raised when evaluation exceeds its step, wall-time or memory budget; `limit` names which, `used` its size. */
export class BudgetExceededError extends RegoError {
  constructor(
    readonly limit: BudgetLimit,
    readonly used: number,
  ) {
    super('eval_budget_exceeded', `evaluation exceeded its ${limit} budget (${used} ${budgetUnits[limit]})`);
    this.name = 'BudgetExceededError';
  }
}
