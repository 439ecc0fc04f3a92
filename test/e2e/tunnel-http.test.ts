import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { call, startTunnel, type TunnelFixture } from './tunnel-support';

describe('tunnel HTTP fidelity', () => {
  let tunnel: TunnelFixture;
  beforeAll(async () => {
    tunnel = await startTunnel('cluster-a');
  });
  afterAll(async () => {
    await tunnel.close();
  });
  const send = (path: string, options: Parameters<typeof call>[2] extends infer O ? Partial<O> : never = {}) =>
    call(tunnel.controller.serviceUrl, path, {
      caPem: tunnel.controller.ca.certPem,
      credentials: tunnel.caller,
      ...options,
    });

  it('forwards a Jenkins-style POST and returns 201 with Location, XML and both cookies', async () => {
    const result = await send('/job/build?delay=0sec', {
      method: 'POST',
      body: 'token=abc',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(result.status).toBe(201);
    expect(result.headers.location).toBe('http://target/queue/item/42/');
    expect(result.headers['content-type']).toBe('application/xml');
    expect(result.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(result.body.toString()).toBe('<queued><params>token=abc</params></queued>');
  });

  it('forwards the raw request target unchanged and replaces caller credentials with the target credentials', async () => {
    const result = await send('/job/a%2Fb/api/json?tree=jobs%5Bname%5D&x=%20', {
      headers: {
        authorization: 'Bearer caller-secret',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': '1',
        'x-keep': 'yes',
      },
    });
    const seen = JSON.parse(result.body.toString()) as { url: string; authorization: string; host: string };
    expect(seen.url).toBe('/job/a%2Fb/api/json?tree=jobs%5Bname%5D&x=%20');
    expect(seen.authorization).toBe(`Basic ${Buffer.from('spin:secret').toString('base64')}`);
    const raw = tunnel.target.seen.at(-1)?.rawHeaders.map((value) => value.toLowerCase()) ?? [];
    expect(raw).toContain('x-keep');
    expect(raw).not.toContain('x-drop-me');
  });

  it('passes gzip bodies through untouched', async () => {
    const result = await send('/gzip', { headers: { 'accept-encoding': 'gzip' } });
    expect(result.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(result.body).toString()).toBe('hello '.repeat(1000));
  });

  it('streams a request body both ways and delivers the trailer', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 3);
    const result = await send('/echo', { method: 'PUT', body });
    expect(result.status).toBe(200);
    expect(result.body.equals(body)).toBe(true);
    expect(result.trailers['x-body-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('delivers a 10,000-frame response complete and in order', async () => {
    const result = await send('/frames?n=10000');
    const lines = result.body.toString().trim().split('\n');
    expect(lines).toHaveLength(10_000);
    expect(lines[9_999]).toBe('frame 9999');
  });

  it.each([204, 302, 404, 409, 410, 500, 503])('passes status %i through', async (code) => {
    const result = await send(`/status?code=${code}`);
    expect(result.status).toBe(code);
    if (code === 302) expect(result.headers.location).toBe('/elsewhere');
  });

  it('passes 103 Early Hints through before the final response', async () => {
    const result = await send('/early-hints');
    expect(result.status).toBe(200);
    expect(result.body.toString()).toBe('after hints');
  });
});
