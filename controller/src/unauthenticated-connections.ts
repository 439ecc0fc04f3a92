// Anyone who reaches a TLS port may open connections and never finish (or start) the handshake, or finish it
// and send nothing: each is held until a timeout (10 s handshake, then 15 s for a request head on the HTTPS
// ports) and costs a descriptor and TLS state (tens of KB), and a client that reconnects holds any number. The
// agent port faces the internet, so the connections not yet authenticated are bounded per listener and per
// source. When a bound is reached the OLDEST such connection is closed to make room, never the new one: a real
// client authenticates within milliseconds of connecting, so it is never the oldest, and an attacker who fills
// the bound cannot keep anyone else out (refusing new ones would): he can only churn his own connections, at
// the cost of opening them as fast as they are closed (decision 225).
import type http from 'node:http';
import type net from 'node:net';
import type tls from 'node:tls';
import type { ControllerMetrics } from './metrics';

/** How many connections one listener holds that are not authenticated yet. */
export interface UnauthenticatedConnectionLimits {
  /** Over all sources. */
  total: number;
  /** From one IPv4 address or one IPv6 /64 (what one host, or one customer's prefix, controls). */
  perAddress: number;
}

export const DEFAULT_UNAUTHENTICATED_CONNECTION_LIMITS: UnauthenticatedConnectionLimits = {
  total: 1024,
  perAddress: 128,
};

/**
 * The source a bound applies to: an IPv4 address (IPv4-mapped IPv6 included) or the /64 of an IPv6 address,
 * since one IPv6 host commonly holds a whole /64.
 */
export function sourceOf(address: string | undefined): string {
  const plain = (address ?? '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped?.[1]) return mapped[1];
  if (!plain.includes(':')) return plain;
  const [head = '', tail] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

type Limit = keyof UnauthenticatedConnectionLimits;

/**
 * Bounds the connections of `server` not yet authenticated by `limits`, closing the oldest (of the source, or
 * of the listener) when a new one would pass a bound; `onEvicted` hears which bound closed one. A connection
 * counts from its TCP accept until it is authenticated: at the end of its TLS handshake where that checks a
 * client certificate (`on: 'handshake'`), else once it has sent a request's head (`on: 'request'`: the request
 * is then authenticated, and one refused closes the connection).
 */
export function limitUnauthenticatedConnections(
  server: tls.Server,
  on: 'handshake' | 'request',
  limits: UnauthenticatedConnectionLimits,
  onEvicted: (limit: Limit) => void,
): void {
  // Both in connection order (Map and Set iterate in insertion order), so the first entry is the oldest.
  const pending = new Map<string, { socket: net.Socket; source: string }>();
  const bySource = new Map<string, Set<string>>();
  const forget = (key: string, socket?: net.Socket): void => {
    const entry = pending.get(key);
    // A socket closed after its eviction must not forget a newer connection from the same address and port.
    if (!entry || (socket && entry.socket !== socket)) return;
    pending.delete(key);
    const keys = bySource.get(entry.source);
    keys?.delete(key);
    if (keys?.size === 0) bySource.delete(entry.source);
  };
  const evict = (key: string | undefined, limit: Limit): void => {
    if (key === undefined) return;
    const entry = pending.get(key);
    forget(key);
    entry?.socket.destroy();
    onEvicted(limit);
  };
  // The TLS socket has its raw socket's addresses: they name the connection in both.
  const keyOf = (socket: net.Socket) => `${socket.remoteAddress}|${socket.remotePort}`;
  server.on('connection', (socket: net.Socket) => {
    const key = keyOf(socket);
    const source = sourceOf(socket.remoteAddress);
    const ofSource = bySource.get(source) ?? new Set<string>();
    if (ofSource.size >= limits.perAddress) evict(ofSource.values().next().value, 'perAddress');
    else if (pending.size >= limits.total) evict(pending.keys().next().value, 'total');
    pending.set(key, { socket, source });
    ofSource.add(key);
    bySource.set(source, ofSource);
    socket.once('close', () => forget(key, socket));
  });
  if (on === 'handshake') {
    server.on('secureConnection', (socket: tls.TLSSocket) => forget(keyOf(socket)));
    return;
  }
  const heard = (req: http.IncomingMessage) => forget(keyOf(req.socket));
  server.on('request', heard);
  // Only a server that handles upgrades itself may hear of them: any 'upgrade' listener turns off Node's own
  // handling of an Upgrade request as an ordinary one.
  if (server.listenerCount('upgrade') > 0) server.prependListener('upgrade', heard);
}

/**
 * limitUnauthenticatedConnections with the closings counted in `isd_tunnel_unauthenticated_evictions_total`. The
 * per-address bound holds on the agent port only: the service and control ports are reached from inside the
 * cluster by a few addresses, and Clouddriver opens a connection per kubectl it runs, hundreds at once from one
 * pod (the tunnel bench's 1,000 watches at once were cut at 128), so there only the total bound holds.
 */
export function limitListenerConnections(
  server: tls.Server,
  listener: 'agent' | 'service' | 'control',
  limits: UnauthenticatedConnectionLimits,
  metrics: ControllerMetrics,
): void {
  limitUnauthenticatedConnections(
    server,
    listener === 'agent' ? 'handshake' : 'request',
    listener === 'agent' ? limits : { total: limits.total, perAddress: Number.POSITIVE_INFINITY },
    (limit) => metrics.unauthenticatedEvictions.inc({ listener, limit }),
  );
}
