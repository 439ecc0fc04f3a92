// Gate contract harness: `/proxies/{id}/**` forwarding as Gate's ProxyController does.
export { startGateProxy } from './gate-proxy';
export type { ForwardedRequest, GateProxy, GateProxyOptions } from './gate-proxy';
// Gate API contract harness: applications, pipelineConfigs, executions search, pipelines save, credentials.
export { startGateApi } from './gate-api';
export type { GateApiHarness, GateApiOptions, GateApiRequest } from './gate-api';
