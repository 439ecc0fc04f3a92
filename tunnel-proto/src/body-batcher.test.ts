import { BodyBatcher, MAX_BODY_FRAME_BYTES } from './body-batcher';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function batcher(stopped = () => false) {
  const frames: Array<{ chunks: number; length: number }> = [];
  const batch = new BodyBatcher((data, length) => frames.push({ chunks: data.length, length }), stopped);
  return { batch, frames };
}

describe('BodyBatcher', () => {
  it('sends the chunks of one event-loop turn as one frame', async () => {
    const { batch, frames } = batcher();
    for (let i = 0; i < 4; i++) batch.add(Buffer.alloc(16 * 1024));
    expect(frames).toEqual([]);
    await nextTurn();
    expect(frames).toEqual([{ chunks: 4, length: 64 * 1024 }]);
    expect(batch.empty).toBe(true);
  });

  it('sends a frame as soon as it reaches the largest frame size', () => {
    const { batch, frames } = batcher();
    const chunk = Buffer.alloc(64 * 1024);
    for (let sent = 0; sent < MAX_BODY_FRAME_BYTES; sent += chunk.length) batch.add(chunk);
    expect(frames).toEqual([{ chunks: MAX_BODY_FRAME_BYTES / chunk.length, length: MAX_BODY_FRAME_BYTES }]);
  });

  it('sends what it holds when flushed, and nothing once the exchange has stopped', async () => {
    let stopped = false;
    const { batch, frames } = batcher(() => stopped);
    batch.add(Buffer.from('end of body'));
    batch.flush();
    expect(frames).toEqual([{ chunks: 1, length: 11 }]);
    batch.add(Buffer.from('late'));
    stopped = true;
    await nextTurn();
    expect(frames).toHaveLength(1);
  });
});
