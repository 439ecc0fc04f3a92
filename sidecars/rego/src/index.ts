// Public surface of @isd/rego: compile Rego modules once, evaluate them many times.
export {
  compile,
  evaluatePath,
  CompiledPolicy,
  dataRefText,
  valueFromJSON,
  valueToJSON,
  valueToExactJSON,
} from './policy';
export type { ModuleSource, CompileOptions, EvaluateOptions, QueryResult, TestResult } from './policy';
export type { Budget } from './eval';
export { RegoError, ParseError, CompileError, EvalError, BudgetExceededError } from './errors';
export type { BudgetLimit } from './errors';
export {
  RegoSet,
  RegoObject,
  NumberText,
  numberValue,
  compareValues,
  valuesEqual,
  formatValue,
  toJSONText,
} from './value';
export type { Value } from './value';
export { parseJSONText, JSONSyntaxError, RawJSON, stringifyJSON } from './json';
export { parseModule, parseQuery, parseTerm } from './parser';
export type { RegoVersion } from './parser';
export { loadPolicyFiles, formatTestReport } from './repository';
export type { PolicyFiles } from './repository';
export { runConformance } from './conformance';
export type { ConformanceSummary, ConformanceOptions } from './conformance';
export type { CustomBuiltin, RegoType } from './builtins/custom';
export { SIGNATURES as BUILTIN_SIGNATURES } from './builtins/signatures.generated';
export { formatType } from './type-check';
export type { OpaType, Signature } from './type-check';
