// Public surface of the verification domain: statistics, metric model, judges, scoring and windows.
export * from './model';
export * from './statistics';
export {
  erfc,
  normalCdf,
  normalSf,
  normalPpf,
  logGamma,
  incompleteBeta,
  studentTTwoSidedP,
  fisherFSf,
  kolmogorovSf,
} from './special';
export { createRandom, type Random } from './random';
export { iqrFences, preprocessSide, type PreprocessedSide } from './preprocessing';
export {
  scoreMetrics,
  classifyScore,
  analysisWindows,
  decideRun,
  type IntervalScore,
  type AnalysisWindow,
  type WindowPlan,
  type RunDecision,
} from './scoring';
export { createKayentaJudge, classifyKayentaMetric, type KayentaClassifierOptions } from './kayenta-judge';
export { createIsdJudge, classifyIsdMetric, DEFAULT_ISD_OPTIONS, type IsdJudgeOptions } from './isd-judge';
export { createJudge, JUDGE_NAMES, type JudgeName } from './judges';
