// AWS Signature Version 4 against AWS's published test suite (aws-sig-v4-test-suite: every case signs
// for service `service` in us-east-1 at 20150830T123600Z with the documented example key).
import { createHash } from 'node:crypto';
import { awsUriEncode, signV4, type SigV4Request } from './sigv4';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const at = new Date('2015-08-30T12:36:00Z');
const host = 'example.amazonaws.com';

/** [case name, request, published SignedHeaders, published signature]. */
const SUITE: Array<[string, Omit<SigV4Request, 'host'>, string, string]> = [
  [
    'get-vanilla',
    { method: 'GET', path: '/' },
    'host;x-amz-date',
    '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  ],
  [
    'get-vanilla-query-order-key-case',
    {
      method: 'GET',
      path: '/',
      query: [
        ['Param2', 'value2'],
        ['Param1', 'value1'],
      ],
    },
    'host;x-amz-date',
    'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  ],
  [
    'get-vanilla-query-unreserved',
    {
      method: 'GET',
      path: '/',
      query: [
        [
          '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
          '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
        ],
      ],
    },
    'host;x-amz-date',
    '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  ],
  [
    'get-vanilla-utf8-query',
    { method: 'GET', path: '/', query: [['ሴ', 'bar']] },
    'host;x-amz-date',
    '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
  ],
  [
    'get-utf8',
    { method: 'GET', path: '/ሴ' },
    'host;x-amz-date',
    '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
  ],
  [
    'get-unreserved',
    { method: 'GET', path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz' },
    'host;x-amz-date',
    '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  ],
  [
    'get-header-value-trim',
    { method: 'GET', path: '/', headers: { 'My-Header1': ' value1', 'My-Header2': ' "a   b   c"' } },
    'host;my-header1;my-header2;x-amz-date',
    'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  ],
  [
    'post-vanilla',
    { method: 'POST', path: '/' },
    'host;x-amz-date',
    '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  ],
  [
    'post-vanilla-query',
    { method: 'POST', path: '/', query: [['Param1', 'value1']] },
    'host;x-amz-date',
    '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
  ],
  [
    'post-header-key-sort',
    { method: 'POST', path: '/', headers: { 'My-Header1': 'value1' } },
    'host;my-header1;x-amz-date',
    'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  ],
  [
    'post-header-value-case',
    { method: 'POST', path: '/', headers: { 'My-Header1': 'VALUE1' } },
    'host;my-header1;x-amz-date',
    'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d',
  ],
  [
    'post-x-www-form-urlencoded',
    {
      method: 'POST',
      path: '/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Param1=value1',
    },
    'content-type;host;x-amz-date',
    'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  ],
  [
    'post-x-www-form-urlencoded-parameters',
    {
      method: 'POST',
      path: '/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf8' },
      body: 'Param1=value1',
    },
    'content-type;host;x-amz-date',
    '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe',
  ],
];

describe('AWS Signature Version 4', () => {
  it.each(SUITE)('%s gives the published signature', (_name, request, signedHeaders, signature) => {
    const result = signV4({ ...request, host }, credentials, 'us-east-1', 'service', at);
    expect(result.signature).toBe(signature);
    expect(result.headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    );
    expect(result.headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('builds get-vanilla’s published canonical request and string to sign', () => {
    const result = signV4({ method: 'GET', path: '/', host }, credentials, 'us-east-1', 'service', at);
    const emptyHash = createHash('sha256').update('').digest('hex');
    expect(result.canonicalRequest).toBe(
      `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${emptyHash}`,
    );
    expect(result.stringToSign).toBe(
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    );
  });

  it('signs and sends the session token of temporary credentials', () => {
    const result = signV4(
      { method: 'GET', path: '/', host },
      { ...credentials, sessionToken: 'session-token' },
      'us-east-1',
      'service',
      at,
    );
    expect(result.headers['x-amz-security-token']).toBe('session-token');
    expect(result.headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
    expect(result.canonicalRequest).toContain('x-amz-security-token:session-token\n');
  });

  it('encodes everything but the unreserved characters', () => {
    expect(awsUriEncode("a b+c*!'()~")).toBe('a%20b%2Bc%2A%21%27%28%29~');
  });
});
