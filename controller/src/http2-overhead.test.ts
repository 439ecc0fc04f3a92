import { OverheadBucket } from './http2-overhead';

describe('OverheadBucket', () => {
  const allowance = { burstBytes: 1000, bytesPerSecond: 100 };

  it('allows a burst, then only what refills', () => {
    const bucket = new OverheadBucket(allowance);
    expect(bucket.spend(1000, 0)).toBe(true);
    expect(bucket.spend(100, 1000)).toBe(true);
    expect(bucket.spend(101, 1000)).toBe(false);
  });

  it('never holds more than the burst, however long the connection was quiet', () => {
    const bucket = new OverheadBucket(allowance);
    expect(bucket.spend(0, 3_600_000)).toBe(true);
    expect(bucket.spend(1001, 0)).toBe(false);
  });

  it('credits DATA delivered later than it was read (negative overhead) up to the burst', () => {
    const bucket = new OverheadBucket(allowance);
    expect(bucket.spend(900, 0)).toBe(true);
    expect(bucket.spend(-900, 0)).toBe(true);
    expect(bucket.spend(1000, 0)).toBe(true);
    expect(bucket.spend(1, 0)).toBe(false);
  });
});
