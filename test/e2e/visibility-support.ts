// Helpers for the visibility cross-process tests.
import net from 'node:net';

export { createTestDatabase, gateHeaders, serviceHeaders, TEST_GATE_TOKEN, TEST_SERVICE_TOKEN } from '../support';

/** A free loopback port (the service must come back on the same one after a restart). */
export function freePortForTest(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}
