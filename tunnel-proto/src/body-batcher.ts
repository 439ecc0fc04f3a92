// Body chunks that arrive in one event-loop turn leave the tunnel as one frame: TLS hands a body over in ≤16 KiB
// records and a target's reads are 16–64 KiB, while per-frame work (grpc-js, HTTP/2, the far end's write) is paid
// per frame, not per byte. The codec copies the chunks straight into the frame, so nothing is concatenated here.

/**
 * Largest body frame gathered from several chunks. Measured: from an HTTPS target (16 KiB reads) one frame per
 * read costs ~1.7× the CPU per GB of 256 KiB frames; 1 MiB frames live long enough to be promoted, and the agent
 * then spent half its time in full garbage collections.
 */
export const MAX_BODY_FRAME_BYTES = 256 * 1024;

/** Gathers chunks until the turn ends or MAX_BODY_FRAME_BYTES are held, then hands them to `send` as one frame. */
export class BodyBatcher {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  /** `stopped` says the exchange has ended: what is still held is dropped, not sent. */
  constructor(
    private readonly send: (data: Buffer[], length: number) => void,
    private readonly stopped: () => boolean,
  ) {}

  /** Nothing is held. */
  get empty(): boolean {
    return this.pendingBytes === 0;
  }

  add(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= MAX_BODY_FRAME_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Sends what is held now (before the body's end, or when the turn ends). */
  readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.pendingBytes === 0 || this.stopped()) return;
    const data = this.pending;
    const length = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.send(data, length);
  };
}
