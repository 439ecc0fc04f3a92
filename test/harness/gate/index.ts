// Gate contract harness: `/proxies/{id}/**` forwarding as Gate's ProxyController does.
export { startGateProxy } from './gate-proxy';
export type { ForwardedRequest, GateProxy, GateProxyOptions } from './gate-proxy';
