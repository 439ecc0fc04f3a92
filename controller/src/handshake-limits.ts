// Anyone who reaches a TLS port may open connections and never finish (or start) the handshake: each is held
// until the handshake timeout (10 s) and costs a descriptor and OpenSSL's state, and a client that reconnects
// holds any number. The agent port faces the internet, so the number in handshake is bounded per listener and
// per source. When a bound is reached the OLDEST connection in handshake is closed to make room, never the new
// one: a real client finishes its handshake within milliseconds of connecting, so it is never the oldest, and
// an attacker who fills the bound cannot keep anyone else out (refusing new ones would) — he can only churn
// his own connections, at the cost of opening them as fast as they are closed (decision 225).
import type net from 'node:net';
import type tls from 'node:tls';
import type { ControllerMetrics } from './metrics';

/** How many connections one listener holds that have not completed their TLS handshake. */
export interface HandshakeLimits {
  /** Over all sources. */
  total: number;
  /** From one IPv4 address or one IPv6 /64 (what one host, or one customer's prefix, controls). */
  perAddress: number;
}

export const DEFAULT_HANDSHAKE_LIMITS: HandshakeLimits = { total: 1024, perAddress: 128 };

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

/**
 * Bounds the connections of `server` in TLS handshake by `limits`, closing the oldest (of the source, or of the
 * listener) when a new one would pass a bound; `onEvicted` hears which bound closed one.
 */
export function limitPendingHandshakes(
  server: tls.Server,
  limits: HandshakeLimits,
  onEvicted: (limit: keyof HandshakeLimits) => void,
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
  const evict = (key: string | undefined, limit: keyof HandshakeLimits): void => {
    if (key === undefined) return;
    const entry = pending.get(key);
    forget(key);
    entry?.socket.destroy();
    onEvicted(limit);
  };
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
  // A finished handshake (the TLS socket has the raw socket's addresses) is no longer pending.
  server.on('secureConnection', (socket: tls.TLSSocket) => forget(keyOf(socket)));
}

/** limitPendingHandshakes with the closings counted in `isd_tunnel_handshake_evictions_total{listener}`. */
export function limitListenerHandshakes(
  server: tls.Server,
  listener: 'agent' | 'service' | 'control',
  limits: HandshakeLimits,
  metrics: ControllerMetrics,
): void {
  limitPendingHandshakes(server, limits, (limit) => metrics.handshakeEvictions.inc({ listener, limit }));
}
