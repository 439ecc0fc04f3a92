import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { TUNNEL_PROTO_PATH, loadTunnelClient } from './proto';

describe('tunnel contract', () => {
  it('is byte-identical to the controller copy (the two share nothing else)', () => {
    const controllerCopy = readFileSync(
      path.join(__dirname, '..', '..', 'controller', 'proto', 'tunnel.proto'),
      'utf8',
    );
    expect(readFileSync(TUNNEL_PROTO_PATH, 'utf8')).toBe(controllerCopy);
  });

  it('shares the Exchange frame codec byte for byte with the controller (its tests live there)', () => {
    const controllerCopy = readFileSync(
      path.join(__dirname, '..', '..', 'controller', 'src', 'frame-codec.ts'),
      'utf8',
    );
    expect(readFileSync(path.join(__dirname, 'frame-codec.ts'), 'utf8')).toBe(controllerCopy);
  });

  it('sends body frames through the fast path and reads the controller frames protobufjs writes', () => {
    const exchange = (loadTunnelClient() as unknown as grpc.ServiceClientConstructor).service
      .Exchange as grpc.MethodDefinition<unknown, unknown>;
    const reference = (
      protoLoader.loadSync(TUNNEL_PROTO_PATH, {
        keepCase: false,
        longs: Number,
        enums: Number,
        defaults: true,
        oneofs: true,
      })['isd.tunnel.v1.Tunnel'] as unknown as { Exchange: grpc.MethodDefinition<unknown, unknown> }
    ).Exchange;
    const chunks = [Buffer.from('ab'), Buffer.from('cde')];
    const sent = exchange.requestSerialize({ body: { data: chunks } });
    expect(sent.equals(reference.requestSerialize({ body: { data: Buffer.concat(chunks) } }))).toBe(true);
    const end = { end: { ok: {}, trailers: [{ name: 'x', value: 'y' }] } };
    expect(exchange.requestSerialize(end).equals(reference.requestSerialize(end))).toBe(true);
    for (const frame of [{ body: { data: Buffer.from('xyz') } }, { requestHead: { method: 'GET', target: '/' } }]) {
      const bytes = reference.responseSerialize(frame);
      expect(exchange.responseDeserialize(bytes)).toEqual(reference.responseDeserialize(bytes));
    }
  });

  it('loads a client with the Control and Exchange streams', () => {
    const Client = loadTunnelClient();
    expect(typeof Client.prototype.Control).toBe('function');
    expect(typeof Client.prototype.Exchange).toBe('function');
  });
});
