import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import {
  BodyBatcher,
  LANE_MIN_BYTES,
  declaredLength,
  encodeLaneHeader,
  endToEndHeaders,
  type AgentFrameOut as AgentFrame,
  type ControllerFrame,
  type LaneReader,
  type WireHeader,
} from '@isd/tunnel-proto';
import type { AgentLanes } from './lanes';
import type { Target } from './targets';
import type { AgentMetrics } from './metrics';

type ExchangeStream = grpc.ClientDuplexStream<AgentFrame, ControllerFrame>;
type ResponseHead = NonNullable<AgentFrame['responseHead']>;

/** Response chunks smaller than this (events, log lines) are sent as soon as they arrive. */
const EAGER_CHUNK_BYTES = 16 * 1024;

/**
 * Capability "inline": body bytes the head may carry. A small response (its body read together with its
 * head) then crosses the tunnel as one frame: one write and one wake-up on each end instead of three.
 */
const INLINE_BODY_BYTES = 16 * 1024;

/** Request bytes buffered for a slow target before the tunnel stream is paused. */
const TARGET_BUFFER_BYTES = 1024 * 1024;

/** How long an exchange whose request body is on a lane waits for that lane's header. */
const LANE_WAIT_MS = 10_000;

function headerValue(headers: WireHeader[], name: string): string | undefined {
  return headers.find((header) => header.name.toLowerCase() === name)?.value;
}

/**
 * Exchanges the agent runs at once, over all its controller connections. A controller may send any number
 * of requests; beyond `max` they are refused (End.unavailable, a 503 for the caller) before reaching a target.
 */
export interface ExchangeLimit {
  readonly max: number;
  active: number;
}

/** What both sides agreed on for this connection's exchanges. */
export interface ExchangeOptions {
  /** Capability "reuse": called once the stream may carry the next request. */
  onIdle?: () => void;
  /** Capability "inline": a small response's body and end may ride in its head's frame. */
  inline?: boolean;
  /** Capability "lane": large bodies of known length cross the session's lanes. */
  lanes?: AgentLanes;
  /** The agent's limit of concurrent exchanges, shared by its connections. */
  limit?: ExchangeLimit;
}

/**
 * The controller ends a stream once it has End; half-closing here as well makes grpc-js build (and drop)
 * an ERR_STREAM_ALREADY_FINISHED error per request. A timer covers a silent controller.
 */
function endWhenControllerForgets(stream: ExchangeStream): void {
  const closer = setTimeout(() => stream.end(), 30_000);
  closer.unref();
  stream.once('status', () => clearTimeout(closer));
}

function joinPath(prefix: string, target: string): string {
  if (prefix === '/' || prefix === '') return target;
  return `${prefix.replace(/\/$/, '')}${target.startsWith('/') ? target : `/${target}`}`;
}

/**
 * Serves one claimed Exchange stream: sends the request to the target with the target's credentials
 * and streams the response back, honouring backpressure both ways. Any upstream failure is reported
 * as End.error so the controller resets the client instead of ending cleanly.
 */
export function serveExchange(
  stream: ExchangeStream,
  head: NonNullable<ControllerFrame['requestHead']>,
  target: Target | undefined,
  metrics: AgentMetrics,
  { onIdle, inline = false, lanes, limit }: ExchangeOptions = {},
): void {
  const service = `${head.serviceType}/${head.serviceName}`;
  if (limit && limit.active >= limit.max) {
    metrics.requests.inc({ service, status: 'refused' });
    const unavailable = `agent is at its limit of ${limit.max} concurrent exchanges (maxConcurrentExchanges)`;
    stream.write({ end: { unavailable, trailers: [] } });
    endWhenControllerForgets(stream);
    return;
  }
  if (limit) limit.active += 1;
  let done = false;
  let finishedOk = false;
  // Without a request body the request side is complete from the start; an upgrade never is.
  let requestComplete = !head.hasBody && !head.upgrade;
  // Filled in once the request exists; the abort path may run before that.
  const upstream: { request?: http.ClientRequest } = {};
  let upgradedSocket: Duplex | undefined;
  // A lane this exchange is reading (request body) or writing (response body) on; destroyed if the
  // exchange ends before its body is complete, since the lane cannot be resynchronised.
  let requestLane: LaneReader | undefined;
  let responseLane: TLSSocket | undefined;
  let status = 0;
  // Inline: the response head, held until the end of the event-loop turn in which it arrived, with the
  // body read in that turn; released on its own (watches need the head now) or with the end.
  let held: { head: ResponseHead; chunks: Buffer[]; bytes: number } | undefined;
  const takeHeld = (): ResponseHead | undefined => {
    if (!held) return undefined;
    const { head: responseHead, chunks, bytes } = held;
    held = undefined;
    return bytes === 0
      ? responseHead
      : { ...responseHead, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) };
  };
  const releaseHead = (): void => {
    const responseHead = takeHeld();
    if (responseHead) stream.write({ responseHead });
  };
  metrics.activeStreams.inc();
  const ended = (): void => {
    done = true;
    metrics.activeStreams.dec();
    if (limit) limit.active -= 1;
  };

  const finish = (end: NonNullable<AgentFrame['end']>): void => {
    if (done) return;
    ended();
    metrics.requests.inc({ service, status: end.error !== undefined ? 'error' : String(status) });
    // A request lane keeps being read (and its bytes dropped) so it stays usable; a response lane that
    // did not get its whole body cannot be.
    responseLane?.destroy();
    const responseHead = end.ok !== undefined ? takeHeld() : undefined;
    if (responseHead) stream.write({ responseHead: { ...responseHead, end } });
    else {
      releaseHead();
      stream.write({ end });
    }
    finishedOk = end.ok !== undefined;
    if (finishedOk && onIdle && !head.upgrade) {
      // The controller reuses the stream once it has End.ok and its request side is complete; we
      // mirror that rule, so both ends agree without another message. Otherwise it ends the call.
      if (requestComplete) becomeIdle();
      return;
    }
    endWhenControllerForgets(stream);
  };
  const becomeIdle = (): void => {
    stream.off('data', onFrame);
    stream.off('end', abortUpstream);
    stream.off('error', abortUpstream);
    stream.resume();
    onIdle?.();
  };
  const abortUpstream = (): void => {
    if (done) return;
    ended();
    metrics.requests.inc({ service, status: 'cancelled' });
    held = undefined;
    upstream.request?.destroy();
    upgradedSocket?.destroy();
    requestLane?.socket.destroy();
    responseLane?.destroy();
    stream.end();
  };

  if (!target) {
    finish({ error: `agent has no service ${service}`, trailers: [] });
    return;
  }

  const headers: WireHeader[] = [{ name: 'Host', value: target.url.host }];
  for (const header of head.headers) {
    const name = header.name.toLowerCase();
    if (name === 'host' || name === 'authorization') continue;
    headers.push(header);
  }
  headers.push(...target.credentialHeaders());
  if (head.upgrade) headers.push({ name: 'Connection', value: 'Upgrade' });
  const flat: string[] = [];
  for (const header of headers) flat.push(header.name, header.value);

  // Only a path (or OPTIONS *) goes to the target: an absolute-form target (`http://other/`) would name
  // another host to a target that is, or sits behind, a proxy.
  if (!head.target.startsWith('/') && !(head.method === 'OPTIONS' && head.target === '*')) {
    finish({ error: `request target ${JSON.stringify(head.target.slice(0, 100))} is not a path`, trailers: [] });
    return;
  }
  const transport = target.url.protocol === 'https:' ? https : http;
  let request: http.ClientRequest;
  try {
    request = transport.request({
      protocol: target.url.protocol,
      hostname: target.url.hostname.replace(/^\[|\]$/g, ''),
      port: target.url.port || (target.url.protocol === 'https:' ? 443 : 80),
      method: head.method,
      path: joinPath(target.url.pathname, head.target),
      // Node accepts the flat rawHeaders form (order and duplicates kept); @types/node does not model it.
      headers: flat as unknown as http.OutgoingHttpHeaders,
      agent: head.upgrade ? target.upgradeAgent : target.agent,
    });
  } catch (error) {
    // A method, path or header Node will not write (CR/LF, not a token) ends this exchange, not the agent.
    finish({ error: `the request cannot be sent: ${(error as Error).message}`, trailers: [] });
    return;
  }
  upstream.request = request;

  request.on('information', (info: http.InformationEvent) => {
    if (info.statusCode === 100 || done) return; // the controller already answered 100-continue
    stream.write({ informational: { status: info.statusCode, headers: endToEndHeaders(info.rawHeaders) } });
  });

  request.on('response', (response: http.IncomingMessage) => {
    if (done) {
      response.destroy();
      return;
    }
    status = response.statusCode ?? 502;
    const responseHead: ResponseHead = {
      status,
      statusMessage: response.statusMessage ?? '',
      headers: endToEndHeaders(response.rawHeaders),
    };
    const length = bodyLength(response);
    const lane = lanes && length !== undefined && length >= LANE_MIN_BYTES ? lanes.takeResponseLane() : undefined;
    if (lane && length !== undefined && lanes) {
      stream.write({ responseHead: { ...responseHead, lane: true } });
      sendOverLane(response, lane, length, lanes);
      return;
    }
    if (inline && !head.upgrade) {
      held = { head: responseHead, chunks: [], bytes: 0 };
      setImmediate(releaseHead);
    } else stream.write({ responseHead });
    // A small chunk with nothing queued before it (a watch event, a log line) leaves at once; larger reads
    // are batched into frames.
    const send = (data: Buffer | Buffer[], length: number): void => {
      metrics.bytes.inc({ direction: 'response' }, length);
      if (!stream.write({ body: { data } })) {
        response.pause();
        stream.once('drain', () => response.resume());
      }
    };
    const batch = new BodyBatcher(send, () => done);
    response.on('data', (chunk: Buffer) => {
      if (done) return;
      if (held) {
        if (held.bytes + chunk.length <= INLINE_BODY_BYTES) {
          metrics.bytes.inc({ direction: 'response' }, chunk.length);
          held.chunks.push(chunk);
          held.bytes += chunk.length;
          return;
        }
        releaseHead();
      }
      if (batch.empty && chunk.length < EAGER_CHUNK_BYTES) send(chunk, chunk.length);
      else batch.add(chunk);
    });
    response.on('end', () => {
      batch.flush();
      if (!response.complete) finish({ error: 'target closed the response early', trailers: [] });
      else finish({ ok: {}, trailers: endToEndHeaders(response.rawTrailers) });
    });
    response.on('error', (error) => finish({ error: `target response failed: ${error.message}`, trailers: [] }));
    response.on('close', () => {
      if (!response.complete) finish({ error: 'target connection closed mid-response', trailers: [] });
    });
  });

  /** Response bodies (Content-Length) that may take a lane: not for HEAD, 1xx, 204 or 304, which have none. */
  function bodyLength(response: http.IncomingMessage): number | undefined {
    if (head.upgrade || head.method === 'HEAD' || status < 200 || status === 204 || status === 304) return undefined;
    return declaredLength(response.headers['content-length']);
  }

  /** Writes the response body on a lane: its header, then exactly `length` bytes, then End over the stream. */
  function sendOverLane(response: http.IncomingMessage, lane: TLSSocket, length: number, laneSet: AgentLanes): void {
    responseLane = lane;
    let sent = 0;
    const laneClosed = (): void => {
      response.destroy();
      finish({ error: 'response lane closed', trailers: [] });
    };
    lane.once('close', laneClosed);
    lane.write(encodeLaneHeader({ direction: 'response', exchangeId: head.exchangeId }));
    response.on('data', (chunk: Buffer) => {
      if (done) return;
      sent += chunk.length;
      metrics.bytes.inc({ direction: 'response' }, chunk.length);
      if (!lane.write(chunk)) {
        response.pause();
        lane.once('drain', () => response.resume());
      }
    });
    const ended = (error?: string): void => {
      if (done) return;
      lane.off('close', laneClosed);
      if (error !== undefined || sent !== length) {
        finish({ error: error ?? 'target closed the response early', trailers: [] });
        return;
      }
      // Complete: the lane may carry the next body right after these bytes.
      responseLane = undefined;
      laneSet.releaseResponseLane(lane);
      finish({ ok: {}, trailers: endToEndHeaders(response.rawTrailers) });
    };
    response.on('end', () => ended(response.complete ? undefined : 'target closed the response early'));
    response.on('error', (error) => ended(`target response failed: ${error.message}`));
    response.on('close', () => {
      if (!response.complete) ended('target connection closed mid-response');
    });
  }

  request.on('upgrade', (response: http.IncomingMessage, socket: Duplex, upgradeHead: Buffer) => {
    if (done) {
      socket.destroy();
      return;
    }
    upgradedSocket = socket;
    status = 101;
    stream.write({
      responseHead: {
        status: 101,
        statusMessage: response.statusMessage ?? 'Switching Protocols',
        headers: endToEndHeaders(response.rawHeaders, { keep: ['upgrade'] }),
      },
    });
    if (upgradeHead.length > 0) stream.write({ body: { data: upgradeHead } });
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      metrics.bytes.inc({ direction: 'response' }, chunk.length);
      if (!stream.write({ body: { data: chunk } })) {
        socket.pause();
        stream.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => {
      if (!done) stream.write({ bodyEnd: {} });
    });
    socket.on('close', () => finish({ ok: {}, trailers: [] }));
    socket.on('error', (error) =>
      finish({ error: `upgraded target connection failed: ${error.message}`, trailers: [] }),
    );
  });

  request.on('error', (error) => finish({ error: `target request failed: ${error.message}`, trailers: [] }));

  // Frames from the controller after the head: request body (or upgraded bytes), end, cancel.
  function onFrame(frame: ControllerFrame): void {
    if (done) {
      // The response finished before the request body did; the body's end makes the stream reusable.
      if (finishedOk && onIdle && !head.upgrade && frame.frame === 'bodyEnd' && !requestComplete) {
        requestComplete = true;
        becomeIdle();
      }
      return;
    }
    switch (frame.frame) {
      case 'body': {
        const data = frame.body?.data;
        if (!data || data.length === 0) return;
        metrics.bytes.inc({ direction: 'request' }, data.length);
        const sink: Duplex | http.ClientRequest = upgradedSocket ?? request;
        // As on the controller: pause the tunnel stream only once ~1 MiB waits for the target, so a
        // 64 KiB frame does not stall the stream at the socket's 16 KiB mark; the buffer stays bounded.
        if (!sink.write(data) && (upgradedSocket !== undefined || sink.writableLength >= TARGET_BUFFER_BYTES)) {
          stream.pause();
          sink.once('drain', () => stream.resume());
        }
        return;
      }
      case 'bodyEnd':
        if (upgradedSocket) upgradedSocket.end();
        else {
          requestComplete = true;
          // A lane body ends the target request when its last byte is in, not here.
          if (!head.lane) request.end();
        }
        return;
      case 'cancel':
        abortUpstream();
        return;
      default:
        return;
    }
  }
  /** Capability "lane": the request body (Content-Length bytes) arrives on a lane the controller writes. */
  function receiveOverLane(laneSet: AgentLanes, length: number): void {
    laneSet.requests.expect(head.exchangeId, LANE_WAIT_MS).then(
      (reader) => {
        if (done) {
          reader.socket.destroy();
          return;
        }
        requestLane = reader;
        reader.readBody(
          length,
          (chunk) => {
            if (done) return true;
            metrics.bytes.inc({ direction: 'request' }, chunk.length);
            if (request.write(chunk) || request.writableLength < TARGET_BUFFER_BYTES) return true;
            request.once('drain', () => reader.resume());
            return false;
          },
          (error) => {
            requestLane = undefined;
            if (done) return;
            if (error) {
              upstream.request?.destroy();
              finish({ error: `request body lane failed: ${error.message}`, trailers: [] });
              return;
            }
            request.end();
          },
        );
      },
      (error: Error) => {
        upstream.request?.destroy();
        finish({ error: `request body lane: ${error.message}`, trailers: [] });
      },
    );
  }

  stream.on('data', onFrame);
  // The controller ending the stream early (client gone, controller killed) aborts the target request.
  stream.on('end', abortUpstream);
  stream.on('error', abortUpstream);
  if (!head.hasBody && !head.upgrade) request.end();
  if (head.upgrade) request.end();
  if (!head.lane && lanes && head.hasBody) {
    const length = declaredLength(headerValue(head.headers, 'content-length'));
    if (length !== undefined && length >= LANE_MIN_BYTES) lanes.requestLaneWanted();
  }
  if (head.lane) {
    const length = declaredLength(headerValue(head.headers, 'content-length'));
    if (!lanes || length === undefined) {
      request.destroy();
      finish({ error: 'request body announced on a lane without one', trailers: [] });
    } else receiveOverLane(lanes, length);
  }
}
