export { autopilotConfigSchema, logProviderConfigSchema, providerConfigSchema } from './config';
export type { AutopilotConfig, LogProviderConfig, ProviderConfig } from './config';
export { autopilotService } from './service';
export * from './domain';
export {
  templateSchema,
  templateMetricSchema,
  parseTemplate,
  expandQuery,
  placeholderProblems,
  metricConfigOf,
} from './templates/template';
export type { Template, TemplateMetric } from './templates/template';
export { importKayentaConfig, importOpsmxTemplate } from './templates/import';
export { parseTemplateYaml, readTemplateFiles } from './templates/yaml-files';
export { createPrometheusProvider } from './providers/prometheus';
export { createDatadogProvider } from './providers/datadog';
export { createNewRelicProvider } from './providers/newrelic';
export { createGraphiteProvider } from './providers/graphite';
export { createInfluxdbProvider } from './providers/influxdb';
export { createCloudWatchProvider } from './providers/cloudwatch';
export { createStackdriverProvider } from './providers/stackdriver';
export { createDynatraceProvider } from './providers/dynatrace';
export { createSignalFxProvider } from './providers/signalfx';
export { createWavefrontProvider } from './providers/wavefront';
export { createAppDynamicsProvider } from './providers/appdynamics';
export { signV4 } from './providers/sigv4';
export { ProviderRegistry, createProvider } from './providers/registry';
export { ProviderError } from './providers/provider';
export type { MetricsProvider, FetchWindow, FetchedSeries, ProviderType } from './providers/provider';
export { createVerificationSchema, verificationViewSchema, templateSummarySchema } from './api/schemas';
export type { CreateVerificationBody } from './api/schemas';
export type { VerificationView, MetricView } from './api/views';
export type { Report, ReportMetric } from './report/report';
export type { VerificationStatus } from './store/verification-store';
export * from './logs';
export { appendVerificationAudit, logMarkAuditRecord, verificationAuditRecord } from './audit/append';
export { startDemoPrometheus } from './demo/demo-prometheus';
export { argoVerificationSchema, argoAnswerSchema, ARGO_STATUSES } from './api/argo';
export type { DemoPrometheus } from './demo/demo-prometheus';
export { compareTestRuns, DEFAULT_DURATION_RULE, PENALTIES } from './test-verification/compare';
export type { TestComparison, TestRun, DurationRule } from './test-verification/compare';
export { parseJenkinsTestReport, parseTestResultsXml, TestReportError } from './test-verification/results';
export type { TestCase } from './test-verification/results';
export { createTestVerificationSchema, testVerificationView } from './api/test-verification-routes';
export type { TestVerificationRecord } from './store/test-verification-store';
