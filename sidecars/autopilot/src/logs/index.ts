// Log verification: template mining, comparison and scoring, log providers, log templates.
export { TemplateMiner } from './miner';
export type { MinerOptions, MinerState, Template as MinedTemplate } from './miner';
export { tokenize, maskLine, compileMasks, WILDCARD } from './tokenize';
export { EventAssembler, eventText, groupEvents, isContinuation } from './multiline';
export {
  ALGORITHMS,
  SENSITIVITIES,
  TOPIC_WEIGHTS,
  LogComparison,
  LogLimitError,
  analyzeLogs,
  analyzeLogStreams,
} from './analysis';
export type {
  Algorithm,
  ClusterKind,
  LogAnalysis,
  LogAnalysisOptions,
  LogCluster,
  LogLimits,
  Mark,
  Sensitivity,
} from './analysis';
export { lineSeconds } from './line-time';
export { DEFAULT_TOPIC_RULES, TOPICS, topicClassifier } from './topics';
export type { TagRule, Topic, TopicOptions, TopicRule } from './topics';
export {
  analysisOptions,
  clusterKey,
  combinedScore,
  importOpsmxLogTemplate,
  logTemplateSchema,
  parseLogTemplate,
  scopeFilter,
  sideQuery,
} from './log-template';
export { classificationOf, logsView, storedLogAnalysis } from './log-view';
export type {
  ClusterClassification,
  LogClusterView,
  LogMarkView,
  LogsView,
  StoredLogAnalysis,
  StoredLogCluster,
} from './log-view';
export { LogProviderRegistry } from './providers/registry';
export { parseLogTemplateYaml, readLogTemplateFiles } from './yaml-files';
export type { ClusterMark, LogTemplate } from './log-template';
export { renderLogClusters } from './report-html';
export { OpenSearchLogProvider } from './providers/opensearch';
export type { OpenSearchAccount } from './providers/opensearch';
export { LokiLogProvider } from './providers/loki';
export { SplunkLogProvider } from './providers/splunk';
export type { SplunkAccount } from './providers/splunk';
export type { LogLine, LogProvider, LogProviderAccount, LogWindow } from './providers/provider';
