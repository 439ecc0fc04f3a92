export { createTestDatabase, testClusterUrl } from './database';
export {
  gateHeaders,
  serviceHeaders,
  startTestService,
  startupRetentionDone,
  testServiceConfig,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from './service';
export { eventually, freePort, repoRoot, spawnTypeScript } from './processes';
export type { ChildService } from './processes';
export { requireTool } from './tools';
export type { TestTool } from './tools';
export { startKubeApiServer } from './kube-apiserver';
export type { KubeApiServer, KubeApiServerOptions } from './kube-apiserver';
export { createTestCa } from './certificates';
export type { IssueOptions, TestCa, TestCertificate } from './certificates';
export { startSmtp } from './smtp';
export type { Mail, SmtpServer } from './smtp';
export {
  BURST_WINDOW,
  START_MS,
  SPAN_SECONDS,
  burstBaseline,
  burstCanary,
  info,
  replicaCluster,
  serviceLog,
  spread,
} from './burst-logs';
export type { TimedMessage } from './burst-logs';
