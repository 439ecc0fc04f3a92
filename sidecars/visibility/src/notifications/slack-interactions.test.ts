import { checkSlackSignature } from './slack-interactions';

// The worked example in Slack's "Verifying requests from Slack" (a slash command body).
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const at = (offsetSeconds: number) => new Date((Number(TIMESTAMP) + offsetSeconds) * 1000);
const headers = (signature = SIGNATURE, timestamp = TIMESTAMP) => ({
  'x-slack-signature': signature,
  'x-slack-request-timestamp': timestamp,
});
const codeOf = (run: () => void): string | null => {
  try {
    run();
    return null;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('checkSlackSignature', () => {
  it("accepts Slack's documented example within the window", () => {
    expect(codeOf(() => checkSlackSignature(SECRET, headers(), BODY, at(60), 300))).toBeNull();
    expect(codeOf(() => checkSlackSignature(SECRET, headers(), BODY, at(-60), 300))).toBeNull();
  });

  it('refuses another secret, a changed body, a changed timestamp and a flipped digit', () => {
    expect(codeOf(() => checkSlackSignature('other', headers(), BODY, at(1), 300))).toBe('slack_signature_invalid');
    expect(codeOf(() => checkSlackSignature(SECRET, headers(), `${BODY}&x=1`, at(1), 300))).toBe(
      'slack_signature_invalid',
    );
    expect(codeOf(() => checkSlackSignature(SECRET, headers(SIGNATURE, '1531420619'), BODY, at(1), 300))).toBe(
      'slack_signature_invalid',
    );
    const flipped = SIGNATURE.replace(/3$/, '4');
    expect(codeOf(() => checkSlackSignature(SECRET, headers(flipped), BODY, at(1), 300))).toBe(
      'slack_signature_invalid',
    );
  });

  it('refuses a request older or newer than the window, and missing or malformed headers', () => {
    expect(codeOf(() => checkSlackSignature(SECRET, headers(), BODY, at(301), 300))).toBe('slack_request_stale');
    expect(codeOf(() => checkSlackSignature(SECRET, headers(), BODY, at(-301), 300))).toBe('slack_request_stale');
    expect(codeOf(() => checkSlackSignature(SECRET, headers(), BODY, at(120), 60))).toBe('slack_request_stale');
    expect(codeOf(() => checkSlackSignature(SECRET, {}, BODY, at(1), 300))).toBe('slack_timestamp_invalid');
    expect(codeOf(() => checkSlackSignature(SECRET, headers('v1=abc'), BODY, at(1), 300))).toBe(
      'slack_signature_invalid',
    );
    expect(codeOf(() => checkSlackSignature(SECRET, headers(SIGNATURE, '15314e8'), BODY, at(1), 300))).toBe(
      'slack_timestamp_invalid',
    );
    expect(codeOf(() => checkSlackSignature(undefined, headers(), BODY, at(1), 300))).toBe('authentication');
  });
});
