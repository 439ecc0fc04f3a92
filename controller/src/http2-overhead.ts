import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';

/**
 * What an agent connection may send beyond the DATA its streams deliver: HTTP/2 frame headers, HEADERS,
 * WINDOW_UPDATE, PRIORITY, PING, SETTINGS. An honest agent sends a few bytes of them per message it sends; a
 * hostile one can send nothing else (PRIORITY or WINDOW_UPDATE frames, which nghttp2 never limits, 50 MB a
 * second on one connection keep half a core busy). The allowance is a bucket: it holds `burstBytes` and
 * refills at `bytesPerSecond`; DATA costs nothing, so a busy agent is never cut.
 */
export interface OverheadAllowance {
  burstBytes: number;
  bytesPerSecond: number;
}

/** How often a connection's bytes are weighed. */
const CHECK_INTERVAL_MS = 1_000;

/** The bucket, apart from any connection. */
export class OverheadBucket {
  private available: number;

  constructor(private readonly allowance: OverheadAllowance) {
    this.available = allowance.burstBytes;
  }

  /**
   * Takes `overheadBytes` (bytes read minus DATA delivered, since the last call `elapsedMs` ago) and reports
   * whether the connection is still within its allowance.
   */
  spend(overheadBytes: number, elapsedMs: number): boolean {
    const refill = (this.allowance.bytesPerSecond * elapsedMs) / 1000;
    this.available = Math.min(this.allowance.burstBytes, this.available + refill) - overheadBytes;
    return this.available >= 0;
  }
}

/**
 * Weighs one agent connection every second: bytes read from its socket against the DATA its streams
 * delivered or hold in their read buffers (Node hands every DATA frame to its stream at once, paused or not,
 * so DATA waiting for a slow caller is counted as DATA). Beyond the allowance the connection is ended with
 * GOAWAY ENHANCE_YOUR_CALM.
 */
export function limitHttp2Overhead(
  session: http2.ServerHttp2Session,
  allowance: OverheadAllowance,
  onExceeded: () => void,
): void {
  const bucket = new OverheadBucket(allowance);
  let delivered = 0;
  const open = new Set<http2.ServerHttp2Stream>();
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    // grpc-js has paused the stream and reads it itself: listening does not change its flow.
    stream.on('data', (chunk: Buffer) => (delivered += chunk.length));
    open.add(stream);
    // DATA still buffered when a stream ends (its caller went away) was DATA all the same.
    stream.once('close', () => {
      delivered += stream.readableLength;
      open.delete(stream);
    });
  });
  const socket = session.socket;
  /** Bytes read from the socket that were not DATA handed to a stream, counted up to the last check. */
  const notDelivered = (): number => {
    let buffered = 0;
    for (const stream of open) buffered += stream.readableLength;
    return socket.bytesRead - delivered - buffered;
  };
  let counted = notDelivered();
  let lastCheck = performance.now();
  const timer = setInterval(() => {
    if (session.destroyed) return;
    const now = performance.now();
    const overhead = notDelivered() - counted;
    counted += overhead;
    const elapsedMs = now - lastCheck;
    lastCheck = now;
    if (bucket.spend(overhead, elapsedMs)) return;
    clearInterval(timer);
    onExceeded();
    session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
  }, CHECK_INTERVAL_MS);
  timer.unref();
  session.once('close', () => clearInterval(timer));
}
