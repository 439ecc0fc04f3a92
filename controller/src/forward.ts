import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { ControllerMetrics } from './metrics';
import type { TLSSocket } from 'node:tls';
import {
  BodyBatcher,
  LANE_MIN_BYTES,
  declaredLength,
  encodeLaneHeader,
  endToEndHeaders,
  type AgentFrame,
  type ControllerFrameOut as ControllerFrame,
  type LaneReader,
  type WireHeader,
} from '@isd/tunnel-proto';
import {
  endToEndResponseHeaders,
  flatHeaders,
  invalidHeaders,
  invalidStatusMessage,
  rawResponseHead,
  responseContentLength,
} from './http-headers';
import type { ExchangeCall, SessionRegistry, AgentSession } from './sessions';
import { endWithProblem, sendProblem } from './problem';

/** Which agent service a caller may reach (from its certificate or token). */
export interface Route {
  agent: string;
  type: string;
  name: string;
}

/** Dependencies of the forwarding bridge. */
export interface ForwardContext {
  registry: SessionRegistry;
  metrics: ControllerMetrics;
  maxRequestBodyBytes: number;
  streamWaitMs: number;
  isDraining: () => boolean;
  /** Exchanges in flight on this replica (sessions may already be gone while their streams finish). */
  inFlight: { count: number };
}

/** Response bytes buffered for a slow client before the tunnel stream is paused. */
const CLIENT_BUFFER_BYTES = 1024 * 1024;

// Credentials meant for the controller never travel to the target; the agent adds the target's own.
const CALLER_CREDENTIAL_HEADERS = ['authorization', 'x-opsmx-token', 'host'];

function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

async function claimStream(
  context: ForwardContext,
  route: Route,
): Promise<{ session: AgentSession; call: ExchangeCall } | { status: number; message: string }> {
  if (context.isDraining()) return { status: 503, message: 'controller is shutting down' };
  const session = context.registry.pick(route.agent, route.type, route.name);
  if (!session)
    return { status: 502, message: `agent ${route.agent} is not connected with service ${route.type}/${route.name}` };
  session.outstanding += 1;
  try {
    const call = await session.claim(context.streamWaitMs);
    return { session, call };
  } catch (error) {
    session.outstanding -= 1;
    return { status: 503, message: (error as Error).message };
  }
}

function requestHead(
  exchangeId: string,
  route: Route,
  req: IncomingMessage,
  upgrade: boolean,
  hasBody: boolean,
  lane = false,
): { requestHead: NonNullable<ControllerFrame['requestHead']> } {
  return {
    requestHead: {
      exchangeId,
      serviceType: route.type,
      serviceName: route.name,
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      headers: endToEndHeaders(req.rawHeaders, { drop: CALLER_CREDENTIAL_HEADERS, keep: upgrade ? ['upgrade'] : [] }),
      upgrade,
      hasBody,
      lane,
    },
  };
}

/**
 * Forwards one HTTP request over a fresh tunnel stream. The response is streamed with backpressure
 * both ways; a broken upstream destroys the client connection instead of ending it cleanly.
 */
export async function forwardRequest(
  context: ForwardContext,
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { metrics } = context;
  const startedAt = performance.now();
  const claimed = await claimStream(context, route);
  if ('status' in claimed) {
    metrics.refusedStreams.inc({ reason: claimed.status === 502 ? 'agent-not-connected' : 'no-stream' });
    sendProblem(req, res, claimed.status, claimed.message);
    return;
  }
  const { session, call } = claimed;
  metrics.activeStreams.inc();
  context.inFlight.count += 1;
  let done = false;
  let status = 0;
  const labels = (): { agent: string; service: string; status: string } => ({
    agent: route.agent,
    service: `${route.type}/${route.name}`,
    status: String(status || 'error'),
  });
  // Listeners this exchange adds to the stream; removed when the stream goes back to the pool.
  const onCallEnd = (): void => broken('tunnel stream ended before the response completed');
  const onCallCancelled = (): void => broken('tunnel stream cancelled');
  const onCallError = (): void => broken('tunnel stream failed');
  const resumeRequest = (): void => {
    req.resume();
  };
  let requestComplete = false;
  // Lanes this exchange reads (response body) or writes (request body); a lane whose body is not
  // complete when the exchange ends cannot be resynchronised, so it is destroyed.
  let responseLane: LaneReader | undefined;
  let requestLane: TLSSocket | undefined;
  // A response body on a lane, and the stream's End.ok kept until the lane has delivered every byte.
  let laneBody: 'none' | 'pending' | 'complete' = 'none';
  let laneEnd: AgentFrame['end'] | undefined;
  const finish = (reusable = false): void => {
    if (done) return;
    done = true;
    responseLane?.socket.destroy();
    requestLane?.destroy();
    session.outstanding -= 1;
    context.inFlight.count -= 1;
    metrics.activeStreams.dec();
    metrics.requests.inc(labels());
    // A cleanly finished exchange whose request side is complete leaves the stream in a known state
    // on both ends, so it carries the next request: no HTTP/2 stream setup per request.
    if (reusable && requestComplete && session.capabilities.includes('reuse')) {
      call.off('data', onFrame);
      call.off('end', onCallEnd);
      call.off('cancelled', onCallCancelled);
      call.off('error', onCallError);
      call.off('drain', resumeRequest);
      call.resume();
      session.release(call);
      return;
    }
    call.end();
  };
  const broken = (reason: string): void => {
    if (done) return;
    finish();
    if (!res.headersSent) sendProblem(req, res, 502, `tunnel: ${reason}`);
    else res.destroy(new Error(reason));
  };

  const hasBody = requestHasBody(req);
  requestComplete = !hasBody;
  const exchangeId = randomUUID();
  const length = declaredLength(req.headers['content-length']);
  const requestLaneSocket =
    hasBody && length !== undefined && length >= LANE_MIN_BYTES && length <= context.maxRequestBodyBytes
      ? session.lanes.takeRequestLane()
      : undefined;
  call.write(requestHead(exchangeId, route, req, false, hasBody, requestLaneSocket !== undefined));
  if (requestLaneSocket) sendBodyOverLane(requestLaneSocket);
  else if (hasBody) {
    let received = 0;
    const batch = new BodyBatcher(
      (data, length) => {
        metrics.bytes.inc({ direction: 'request' }, length);
        if (!call.write({ body: { data } })) {
          req.pause();
          call.once('drain', resumeRequest);
        }
      },
      () => done,
    );
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      received += chunk.length;
      if (received > context.maxRequestBodyBytes) {
        call.write({ cancel: { reason: 'request body too large' } });
        status = 413;
        finish();
        // Close after the answer rather than reading the rest of an oversized body.
        res.shouldKeepAlive = false;
        sendProblem(req, res, 413, `request body exceeds ${context.maxRequestBodyBytes} bytes`);
        return;
      }
      batch.add(chunk);
    });
    req.on('end', () => {
      if (done) return;
      batch.flush();
      call.write({ bodyEnd: {} });
      requestComplete = true;
    });
  }

  /**
   * Capability "lane": the request body (Content-Length bytes, which Node's parser holds the client to)
   * goes on an idle request lane as raw bytes after the lane header; the agent counts them out.
   */
  function sendBodyOverLane(lane: TLSSocket): void {
    requestLane = lane;
    lane.write(encodeLaneHeader({ direction: 'request', exchangeId }));
    const laneClosed = (): void => broken('request lane closed');
    lane.once('close', laneClosed);
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      metrics.bytes.inc({ direction: 'request' }, chunk.length);
      if (!lane.write(chunk)) {
        req.pause();
        lane.once('drain', resumeRequest);
      }
    });
    req.on('end', () => {
      if (done) return;
      lane.off('close', laneClosed);
      requestLane = undefined;
      session.lanes.releaseRequestLane(lane);
      metrics.laneBodies.inc({ direction: 'request' });
      // As after Body frames: the agent applies the same reuse rule once it sees BodyEnd.
      call.write({ bodyEnd: {} });
      requestComplete = true;
    });
  }

  const resumeCall = (): void => {
    call.resume();
  };
  let corked = false;
  const uncork = (): void => {
    corked = false;
    res.socket?.uncork();
  };
  function onFrame(frame: AgentFrame): void {
    if (done) return;
    try {
      writeFrame(frame);
    } catch (error) {
      // Anything Node refuses to write (the checks below should leave nothing) breaks this exchange only.
      broken(`agent ${route.agent} sent what cannot be answered: ${(error as Error).message}`);
    }
  }
  /** Bytes of the response body the caller is owed (the head's Content-Length), and how many were written. */
  let owedBytes: number | undefined;
  let writtenBytes = 0;
  function writeFrame(frame: AgentFrame): void {
    // Frames decoded from one read (head, body, end of a small response) leave in one TLS write
    // instead of three; nothing waits longer than the current tick.
    if (!corked && res.socket) {
      corked = true;
      res.socket.cork();
      process.nextTick(uncork);
    }
    switch (frame.frame) {
      case 'informational': {
        const informational = frame.informational;
        if (res.headersSent || !informational) return;
        // Only a true interim answer (102–199) may go out raw: a "1xx" of 200 would be a whole response
        // ahead of the real one, read by the caller as the answer to its next request.
        const problem =
          informational.status < 102 || informational.status > 199
            ? `status ${informational.status} is not an informational status`
            : invalidHeaders(informational.headers);
        if (problem) {
          broken(`agent ${route.agent} sent an invalid informational response: ${problem}`);
          return;
        }
        // Node has no generic API for arbitrary 1xx; they precede the head, so a raw write is safe.
        // An agent may send them without end: a caller that does not read pauses the stream.
        const socket = res.socket;
        if (socket && !socket.write(rawResponseHead(informational.status, '', informational.headers))) {
          call.pause();
          socket.once('drain', resumeCall);
        }
        return;
      }
      case 'responseHead': {
        const head = frame.responseHead;
        if (!head || res.headersSent) return;
        const length = responseContentLength(head.headers);
        const problem =
          head.status < 200 || head.status > 599
            ? `status ${head.status} is not a final status`
            : (invalidStatusMessage(head.statusMessage) ??
              invalidHeaders(head.headers) ??
              (typeof length === 'object' ? length.invalid : undefined));
        if (problem) {
          broken(`agent ${route.agent} sent an invalid response head: ${problem}`);
          return;
        }
        status = head.status;
        metrics.requestDuration.observe(labels(), (performance.now() - startedAt) / 1000);
        // Node writes no body for these, whatever their Content-Length says.
        const bodiless = req.method === 'HEAD' || head.status === 204 || head.status === 304;
        const declared = length as number | undefined;
        owedBytes = bodiless ? undefined : declared;
        res.writeHead(head.status, head.statusMessage || undefined, flatHeaders(endToEndResponseHeaders(head.headers)));
        if (head.lane) {
          receiveBodyOverLane(declared);
          return;
        }
        // Capability "inline": a small response's body and end ride in the head's frame.
        const inline = head.body.length > 0 || head.end !== null;
        // Watches and logs -f need the head now, not with the first body byte.
        if (!inline) res.flushHeaders();
        if (head.body.length > 0) onBody(head.body);
        if (head.end) onEnd(head.end);
        return;
      }
      case 'body': {
        const data = frame.body?.data;
        if (data) onBody(data);
        return;
      }
      case 'end':
        onEnd(frame.end);
        return;
      default:
        return;
    }
  }
  function onBody(data: Buffer): void {
    if (done || data.length === 0) return;
    if (!res.headersSent) {
      broken(`agent ${route.agent} sent a body before the response head`);
      return;
    }
    writtenBytes += data.length;
    // Bytes beyond the Content-Length would be read by the caller as the next response on its connection
    // (another agent's, with tokens): the exchange breaks instead, and nothing more is written.
    if (owedBytes !== undefined && writtenBytes > owedBytes) {
      broken(`agent ${route.agent} sent more than the ${owedBytes} bytes of its Content-Length`);
      return;
    }
    metrics.bytes.inc({ direction: 'response' }, data.length);
    // Pause the tunnel stream only once ~1 MiB waits for the client: pausing at the socket's
    // 16 KiB mark would stall the stream after every 64 KiB frame. The buffer stays bounded.
    if (!res.write(data) && res.writableLength >= CLIENT_BUFFER_BYTES) {
      call.pause();
      res.once('drain', resumeCall);
    }
  }
  /**
   * Capability "lane": the response body (the head's Content-Length) arrives on a response lane the agent
   * writes; End still comes on the stream, and the response completes when both are in.
   */
  function receiveBodyOverLane(length: number | undefined): void {
    if (length === undefined) {
      broken('agent sent a lane body without a Content-Length');
      return;
    }
    laneBody = 'pending';
    res.flushHeaders();
    session.lanes.responses.expect(exchangeId, context.streamWaitMs).then(
      (reader) => {
        if (done) {
          reader.socket.destroy();
          return;
        }
        responseLane = reader;
        const resumeLane = (): void => reader.resume();
        reader.readBody(
          length,
          (chunk) => {
            metrics.bytes.inc({ direction: 'response' }, chunk.length);
            if (res.write(chunk) || res.writableLength < CLIENT_BUFFER_BYTES) return true;
            res.once('drain', resumeLane);
            return false;
          },
          (error) => {
            responseLane = undefined;
            if (error) {
              broken(`response lane: ${error.message}`);
              return;
            }
            laneBody = 'complete';
            metrics.laneBodies.inc({ direction: 'response' });
            if (laneEnd) onEnd(laneEnd);
          },
        );
      },
      (error: Error) => broken(`response lane: ${error.message}`),
    );
  }
  function onEnd(end: AgentFrame['end']): void {
    if (done) return;
    if (end?.result === 'unavailable' && !res.headersSent) {
      // The agent refused before reaching the target (at its limit): the caller may retry.
      status = 503;
      finish();
      sendProblem(req, res, 503, `agent ${route.agent} refused the request: ${end.unavailable ?? ''}`);
      return;
    }
    if (end?.result !== 'ok') {
      broken(end?.error || 'upstream failed');
      return;
    }
    if (laneBody === 'pending') {
      laneEnd = end;
      return;
    }
    if (!res.headersSent) {
      broken('agent ended the exchange without a response');
      return;
    }
    if (laneBody === 'none' && owedBytes !== undefined && writtenBytes < owedBytes) {
      broken(`agent ${route.agent} ended the response after ${writtenBytes} of its ${owedBytes} bytes`);
      return;
    }
    const badTrailer = invalidHeaders(end.trailers, 'trailer');
    if (badTrailer) {
      broken(`agent ${route.agent} sent an invalid trailer: ${badTrailer}`);
      return;
    }
    if (end.trailers.length > 0)
      res.addTrailers(end.trailers.map((trailer: WireHeader) => [trailer.name, trailer.value] as [string, string]));
    res.off('drain', resumeCall);
    finish(true);
    res.end();
  }
  call.on('data', onFrame);
  call.on('end', onCallEnd);
  call.on('cancelled', onCallCancelled);
  call.on('error', onCallError);
  res.on('close', () => {
    if (done) return;
    // The client went away: tell the agent so it aborts the upstream request now.
    call.write({ cancel: { reason: 'client closed the connection' } });
    status = 499;
    finish();
  });
}

/**
 * Forwards an HTTP upgrade (WebSocket, SPDY). After the target's 101 the stream carries raw bytes in
 * both directions; any other answer is written back as a plain response and the socket closed.
 */
export async function forwardUpgrade(
  context: ForwardContext,
  route: Route,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { metrics } = context;
  socket.pause();
  const claimed = await claimStream(context, route);
  if ('status' in claimed) {
    metrics.refusedStreams.inc({ reason: claimed.status === 502 ? 'agent-not-connected' : 'no-stream' });
    // Answer fast: kubectl falls back from WebSocket to SPDY only when the upgrade fails quickly.
    endWithProblem(req, socket, claimed.status, claimed.message);
    return;
  }
  const { session, call } = claimed;
  metrics.activeStreams.inc();
  context.inFlight.count += 1;
  let done = false;
  let status = 0;
  let upgraded = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    session.outstanding -= 1;
    context.inFlight.count -= 1;
    metrics.activeStreams.dec();
    metrics.requests.inc({
      agent: route.agent,
      service: `${route.type}/${route.name}`,
      status: String(status || 'error'),
    });
    call.end();
  };
  const pumpClientToTunnel = (): void => {
    if (head.length > 0) call.write({ body: { data: head } });
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      metrics.bytes.inc({ direction: 'request' }, chunk.length);
      if (!call.write({ body: { data: chunk } })) {
        socket.pause();
        call.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => {
      if (!done) call.write({ bodyEnd: {} });
    });
    socket.resume();
  };

  call.write(requestHead(randomUUID(), route, req, true, false));
  call.on('data', (frame: AgentFrame) => {
    if (done) return;
    switch (frame.frame) {
      case 'responseHead': {
        const responseHead = frame.responseHead;
        if (!responseHead || status !== 0) return;
        // The head goes out as raw bytes: a CR/LF the agent put in it would write headers of its choosing.
        const problem =
          responseHead.status !== 101 && (responseHead.status < 200 || responseHead.status > 599)
            ? `status ${responseHead.status} is not a final status`
            : (invalidStatusMessage(responseHead.statusMessage) ?? invalidHeaders(responseHead.headers));
        if (problem) {
          endWithProblem(req, socket, 502, `tunnel: agent ${route.agent} sent an invalid response head: ${problem}`);
          status = 502;
          call.write({ cancel: { reason: 'invalid response head' } });
          finish();
          return;
        }
        status = responseHead.status;
        if (status === 101) {
          upgraded = true;
          socket.write(
            rawResponseHead(101, responseHead.statusMessage || 'Switching Protocols', [
              { name: 'Connection', value: 'Upgrade' },
              ...responseHead.headers,
            ]),
          );
          pumpClientToTunnel();
        } else {
          socket.write(
            rawResponseHead(status, responseHead.statusMessage, [
              ...responseHead.headers,
              { name: 'Connection', value: 'close' },
            ]),
          );
        }
        return;
      }
      case 'body': {
        const data = frame.body?.data;
        // Nothing reaches the caller before the head (it would be read as the answer).
        if (!data || data.length === 0 || status === 0) return;
        metrics.bytes.inc({ direction: 'response' }, data.length);
        if (!socket.write(data)) {
          call.pause();
          socket.once('drain', () => call.resume());
        }
        return;
      }
      case 'bodyEnd':
        socket.end();
        return;
      case 'end':
        if (frame.end?.result === 'unavailable' && status === 0) {
          status = 503;
          finish();
          endWithProblem(req, socket, 503, `agent ${route.agent} refused the request: ${frame.end.unavailable ?? ''}`);
        } else if (frame.end?.result === 'ok' && status !== 0) {
          finish();
          socket.end();
        } else {
          finish();
          socket.destroy();
        }
        return;
      default:
        return;
    }
  });
  const lost = (): void => {
    if (done) return;
    finish();
    socket.destroy();
  };
  call.on('end', lost);
  call.on('cancelled', lost);
  call.on('error', lost);
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (done) return;
    call.write({
      cancel: { reason: upgraded ? 'client closed the upgraded connection' : 'client closed the connection' },
    });
    finish();
  });
}
