// Node's headersTimeout only runs once a connection sends the first byte of a request: a connection that
// sends nothing (or, over TLS, nothing after its handshake) stays open for good. Each holds a file
// descriptor and some memory, so anyone who can reach a port could open them until the process has no
// descriptors left for its database, its peers or other clients. Such connections are closed here.
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';

/**
 * Closes every connection of `server` that has not completed a request's headers `afterMs` after it was
 * accepted (after its TLS handshake, for HTTPS). A connection that has sent one request is left to Node's
 * own timeouts (headersTimeout, keepAliveTimeout). Call it after the server's own 'upgrade' listener, if it
 * has one: an upgraded connection is one that spoke.
 */
export function closeSilentConnections(server: http.Server | https.Server, afterMs: number): void {
  // Sockets in the order they connected, with when; a socket leaves on its first request or when it closes.
  const silent = new Map<net.Socket, number>();
  const connected = (socket: net.Socket): void => {
    silent.set(socket, Date.now());
    socket.once('close', () => silent.delete(socket));
  };
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', connected);
  const heard = (req: http.IncomingMessage): void => {
    silent.delete(req.socket);
  };
  server.on('request', heard);
  // Only a server that handles upgrades itself hears of them here: any 'upgrade' listener turns off Node's
  // own handling of an Upgrade request as an ordinary one (the request would hang unanswered).
  if (server.listenerCount('upgrade') > 0) server.prependListener('upgrade', heard);
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - afterMs;
      for (const [socket, since] of silent) {
        if (since > cutoff) break;
        silent.delete(socket);
        socket.destroy();
      }
    },
    Math.min(Math.max(afterMs / 4, 50), 5_000),
  );
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
}
