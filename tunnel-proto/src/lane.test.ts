import { Duplex } from 'node:stream';
import {
  IdleLanes,
  LaneReader,
  LaneRendezvous,
  decodeLaneMessage,
  encodeLaneHeader,
  encodeLaneHello,
  type LaneHeader,
} from './lane';

/** A lane's reading end fed by hand: push() is what arrives from the network. */
function fakeSocket(): Duplex & { paused(): boolean } {
  const socket = new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() });
  return Object.assign(socket, { paused: () => socket.isPaused() });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('lane messages', () => {
  it('round-trips hellos and body headers, and refuses what is not one', () => {
    const hello = encodeLaneHello({ direction: 'request', sessionId: 'session-1' });
    expect(decodeLaneMessage(hello)).toEqual({
      kind: 'hello',
      direction: 'request',
      id: 'session-1',
      length: hello.length,
    });
    const header = encodeLaneHeader({ direction: 'response', exchangeId: 'exchange-9' });
    expect(decodeLaneMessage(Buffer.concat([header, Buffer.from('body')]))).toEqual({
      kind: 'body',
      direction: 'response',
      id: 'exchange-9',
      length: header.length,
    });
    for (let cut = 0; cut < header.length; cut += 1)
      expect(decodeLaneMessage(header.subarray(0, cut))).toBe('incomplete');
    expect(decodeLaneMessage(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('not a lane message');
    expect(decodeLaneMessage(Buffer.from([0x49, 0x53, 0x44, 0x4c, 0x42, 0x58, 1, 0x41]))).toBe(
      'unknown lane direction',
    );
    expect(decodeLaneMessage(Buffer.from([0x49, 0x53, 0x44, 0x4c, 0x42, 0x44, 0]))).toBe('bad lane id length');
    expect(() => encodeLaneHeader({ direction: 'response', exchangeId: 'x'.repeat(129) })).toThrow(RangeError);
  });
});

describe('LaneReader', () => {
  it('splits headers and exact-length bodies however the bytes are cut, holding each body for its owner', async () => {
    const socket = fakeSocket();
    const headers: LaneHeader[] = [];
    const bodies: Record<string, Buffer[]> = {};
    const finished: string[] = [];
    const reader = new LaneReader(socket, 'response', (header, lane) => {
      headers.push(header);
      bodies[header.exchangeId] = [];
      // The owner claims the body later, as an exchange whose head arrives after the lane's header.
      setImmediate(() =>
        lane.readBody(
          header.exchangeId === 'a' ? 5 : 3,
          (chunk) => {
            bodies[header.exchangeId]?.push(chunk);
            return true;
          },
          (error) => finished.push(error ? `error ${header.exchangeId}` : header.exchangeId),
        ),
      );
    });
    const wire = Buffer.concat([
      encodeLaneHeader({ direction: 'response', exchangeId: 'a' }),
      Buffer.from('hello'),
      encodeLaneHeader({ direction: 'response', exchangeId: 'b' }),
      Buffer.from('xyz'),
    ]);
    // One byte at a time: every boundary falls inside a piece.
    for (const byte of wire) {
      socket.push(Buffer.from([byte]));
      await tick();
    }
    await tick();
    expect(headers.map((header) => header.exchangeId)).toEqual(['a', 'b']);
    expect(Buffer.concat(bodies.a ?? []).toString()).toBe('hello');
    expect(Buffer.concat(bodies.b ?? []).toString()).toBe('xyz');
    expect(finished).toEqual(['a', 'b']);
    expect(reader.socket).toBe(socket);
  });

  it('pauses the socket when the sink is full and resumes on request', async () => {
    const socket = fakeSocket();
    let reader: LaneReader | undefined;
    new LaneReader(socket, 'request', (_header, lane) => {
      reader = lane;
      lane.readBody(
        10,
        () => false,
        () => undefined,
      );
    });
    socket.push(Buffer.concat([encodeLaneHeader({ direction: 'request', exchangeId: 'u' }), Buffer.from('12345')]));
    await tick();
    expect(socket.paused()).toBe(true);
    reader?.resume();
    expect(socket.paused()).toBe(false);
  });

  it('fails a body whose lane closes early, and destroys a lane that breaks the protocol', async () => {
    const socket = fakeSocket();
    let outcome: Error | undefined | 'pending' = 'pending';
    new LaneReader(socket, 'response', (_header, lane) =>
      lane.readBody(
        100,
        () => true,
        (error) => (outcome = error),
      ),
    );
    socket.push(Buffer.concat([encodeLaneHeader({ direction: 'response', exchangeId: 'c' }), Buffer.from('partial')]));
    await tick();
    socket.destroy();
    await tick();
    expect(outcome).toBeInstanceOf(Error);

    const wrongDirection = fakeSocket();
    new LaneReader(wrongDirection, 'response', () => undefined);
    wrongDirection.push(encodeLaneHeader({ direction: 'request', exchangeId: 'd' }));
    await tick();
    expect(wrongDirection.destroyed).toBe(true);

    const garbage = fakeSocket();
    new LaneReader(garbage, 'response', () => undefined);
    garbage.push(Buffer.from('PRI * HTTP/2.0\r\n'));
    await tick();
    expect(garbage.destroyed).toBe(true);
  });
});

describe('LaneRendezvous', () => {
  const laneOn = (socket: Duplex): LaneReader => new LaneReader(socket, 'response', () => undefined);

  it('meets an exchange with its lane whichever arrives first', async () => {
    const rendezvous = new LaneRendezvous();
    const early = laneOn(fakeSocket());
    rendezvous.arrive('first', early);
    await expect(rendezvous.expect('first', 1_000)).resolves.toBe(early);
    const waiting = rendezvous.expect('second', 1_000);
    const late = laneOn(fakeSocket());
    rendezvous.arrive('second', late);
    await expect(waiting).resolves.toBe(late);
  });

  it('times out a wait, closes an unclaimed lane and a second lane for the same exchange', async () => {
    const rendezvous = new LaneRendezvous(20);
    await expect(rendezvous.expect('never', 10)).rejects.toThrow('no lane arrived within 10 ms');
    const unclaimed = laneOn(fakeSocket());
    rendezvous.arrive('orphan', unclaimed);
    const duplicate = laneOn(fakeSocket());
    rendezvous.arrive('orphan', duplicate);
    expect(duplicate.socket.destroyed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unclaimed.socket.destroyed).toBe(true);
  });

  it('fails every wait when its session closes', async () => {
    const rendezvous = new LaneRendezvous();
    const waiting = rendezvous.expect('x', 1_000);
    const parked = laneOn(fakeSocket());
    rendezvous.arrive('y', parked);
    rendezvous.close('session ended');
    await expect(waiting).rejects.toThrow('session ended');
    expect(parked.socket.destroyed).toBe(true);
  });
});

describe('IdleLanes', () => {
  it('hands each idle lane out once, takes it back, and closes one left unused', async () => {
    const lanes = new IdleLanes<Duplex>(40);
    const first = fakeSocket();
    lanes.add(first);
    expect(lanes.take()).toBe(first);
    expect(lanes.take()).toBeUndefined();
    // A lane in use is never closed for idleness, however long its body takes.
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(first.destroyed).toBe(false);
    lanes.release(first);
    expect(lanes.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(first.destroyed).toBe(true);
    await tick();
    expect(lanes.size).toBe(0);
  });

  it('skips lanes that closed while idle and keeps none after close()', () => {
    const lanes = new IdleLanes<Duplex>(1_000);
    const closed = fakeSocket();
    const open = fakeSocket();
    lanes.add(open);
    lanes.add(closed);
    closed.destroy();
    expect(lanes.take()).toBe(open);
    lanes.close();
    lanes.release(open);
    expect(open.destroyed).toBe(false);
    expect(lanes.take()).toBeUndefined();
    open.destroy();
  });
});
