// Byte relay for the tunnel floor measurement (floor.ts): accepts TLS and forwards the decrypted bytes
// to the next hop over TLS (`next.tls`) or plain TCP. No HTTP, HTTP/2, gRPC or framing: what is left is
// the cost of the TLS operations and socket copies the real tunnel cannot avoid. The relays take the
// controller's cipher preference (`ciphers`), so the floor pays the same cryptography as our tunnel.
import net from 'node:net';
import tls from 'node:tls';
import { StallWatch, answerStalls, cpuReply } from './children';

interface RelayConfig {
  key: string;
  cert: string;
  ca: string;
  ciphers: string;
  next: { host: string; port: number; tls: boolean };
}

const config = JSON.parse(process.argv[2] ?? '{}') as RelayConfig;

const server = tls.createServer(
  { key: config.key, cert: config.cert, ciphers: config.ciphers, honorCipherOrder: true },
  (client) => {
    const upstream = config.next.tls
      ? tls.connect({ host: config.next.host, port: config.next.port, ca: config.ca, servername: 'localhost' })
      : net.connect({ host: config.next.host, port: config.next.port });
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  },
);

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as net.AddressInfo).port });
});

const stalls = new StallWatch();
process.on('message', (message: { type: string }) => {
  if (answerStalls(stalls, message)) return;
  if (message.type === 'cpu') {
    process.send?.(cpuReply());
  } else if (message.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
