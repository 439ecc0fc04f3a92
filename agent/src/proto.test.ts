import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TUNNEL_PROTO_PATH, loadTunnelClient } from './proto';

describe('tunnel contract', () => {
  it('is byte-identical to the controller copy (the two share nothing else)', () => {
    const controllerCopy = readFileSync(
      path.join(__dirname, '..', '..', 'controller', 'proto', 'tunnel.proto'),
      'utf8',
    );
    expect(readFileSync(TUNNEL_PROTO_PATH, 'utf8')).toBe(controllerCopy);
  });

  it('loads a client with the Control and Exchange streams', () => {
    const Client = loadTunnelClient();
    expect(typeof Client.prototype.Control).toBe('function');
    expect(typeof Client.prototype.Exchange).toBe('function');
  });
});
