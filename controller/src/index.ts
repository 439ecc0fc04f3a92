export { startController, SERVICE_TOKEN_AUDIENCE, CONTROL_TOKEN_AUDIENCE } from './controller';
export type { ControllerConfig, RunningController, KubectlComponents } from './controller';
export { CertificateAuthority, identityFromSubject, normalizeSerial } from './pki';
export type { CertificateIdentity, Credentials, IssueOptions } from './pki';
export { signToken, verifyToken, generateTokenKeys, TokenError } from './jwt';
export type { TokenKeys, TokenClaims } from './jwt';
export { TUNNEL_PROTO_PATH, PROTOCOL_VERSION } from './proto';
export type { AgentSessionSummary } from './sessions';
