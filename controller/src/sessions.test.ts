import { EventEmitter } from 'node:events';
import type { ControllerControlOut } from '@isd/tunnel-proto';
import { AgentSession, type ExchangeCall } from './sessions';

/** A stand-in for an attached Exchange stream: the pool only listens for its end and may end it. */
function fakeStream(): ExchangeCall {
  return Object.assign(new EventEmitter(), { end: () => undefined }) as unknown as ExchangeCall;
}

function session(sent: ControllerControlOut[]): AgentSession {
  return new AgentSession(
    'session-1',
    'agent-a',
    'host',
    '1.0.0',
    [{ type: 'generic', name: 'svc', annotations: {} }],
    {},
    [],
    Date.now(),
    (message) => sent.push(message),
    '127.0.0.1:1',
    '01',
    () => undefined,
  );
}

describe('AgentSession stream pool', () => {
  it('hands out idle streams without asking the agent for more', async () => {
    const sent: ControllerControlOut[] = [];
    const pool = session(sent);
    const stream = fakeStream();
    pool.addIdle(stream);
    pool.outstanding = 1;
    await expect(pool.claim(1_000)).resolves.toBe(stream);
    expect(sent).toEqual([]);
  });

  it('asks for as many streams as are in flight when the pool runs dry, not one per waiting request', async () => {
    const sent: ControllerControlOut[] = [];
    const pool = session(sent);
    // Eight exchanges in flight (forward.ts counts a request before it claims), the pool is empty.
    pool.outstanding = 8;
    const claimed = pool.claim(1_000);
    expect(sent).toEqual([{ openStreams: { count: 8 } }]);
    // Another request while those are on their way asks only for the difference.
    pool.outstanding = 9;
    const second = pool.claim(1_000);
    expect(sent).toEqual([{ openStreams: { count: 8 } }, { openStreams: { count: 1 } }]);
    const streams = [fakeStream(), fakeStream()];
    for (const stream of streams) pool.addIdle(stream);
    await expect(claimed).resolves.toBe(streams[0]);
    await expect(second).resolves.toBe(streams[1]);
  });

  it('never asks for more than the idle pool can keep', () => {
    const sent: ControllerControlOut[] = [];
    const pool = session(sent);
    pool.outstanding = 500;
    void pool.claim(50).catch(() => undefined);
    expect(sent).toEqual([{ openStreams: { count: 32 } }]);
  });

  it('asks again once a stream it asked for did not come in time (an agent at its limit opens fewer)', async () => {
    const sent: ControllerControlOut[] = [];
    const pool = session(sent);
    pool.outstanding = 1;
    await expect(pool.claim(10)).rejects.toThrow(/opened no stream within 10 ms/);
    const next = pool.claim(1_000);
    expect(sent).toEqual([{ openStreams: { count: 1 } }, { openStreams: { count: 1 } }]);
    const stream = fakeStream();
    pool.addIdle(stream);
    await expect(next).resolves.toBe(stream);
  });
});
