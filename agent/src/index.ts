export { startAgent, AgentConfigError } from './agent';
export type { AgentConfig, RunningAgent } from './agent';
export type { AgentCredentials } from './connection';
export { ServiceConfigError } from './targets';
export type { ServiceConfig, TargetCredentials } from './targets';
export { TUNNEL_PROTO_PATH, PROTOCOL_VERSION } from '@isd/tunnel-proto';
export { agentConfigSchema, loadAgentConfig, toAgentConfig } from './config';
export type { AgentFileConfig, InClusterEnvironment } from './config';
