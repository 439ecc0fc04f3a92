import { MinerWorkError, TemplateMiner } from './miner';

const templatesOf = (miner: TemplateMiner, lines: readonly string[]) => lines.map((l) => miner.match(l)?.template);

describe('TemplateMiner', () => {
  it('learns one template per event from a stream, with variables masked', () => {
    const miner = new TemplateMiner();
    const lines = [
      'Accepted password for alice from 10.0.0.1 port 2201 ssh2',
      'Accepted password for bob from 10.0.0.7 port 40022 ssh2',
      'Connection closed by 10.0.0.9 [preauth]',
      'Accepted password for carol from 10.1.0.1 port 5 ssh2',
      'Connection closed by 172.16.0.2 [preauth]',
    ];
    for (const line of lines) miner.add(line);
    const templates = miner.templates().map((t) => [t.template, t.count]);
    expect(templates).toEqual([
      ['Accepted password for <*> from <*> port <*> ssh2', 3],
      ['Connection closed by <*> [preauth]', 2],
    ]);
  });

  it('merges templates over-split by a variable leading token, whichever came first', () => {
    const miner = new TemplateMiner();
    miner.add('alice logged in from web');
    miner.add('bob logged in from web');
    miner.add('carol logged in from web');
    miner.add('dave logged in from web');
    expect(miner.templates().map((t) => t.template)).toEqual(['<*> logged in from web']);
    expect(miner.templates()[0]!.count).toBe(4);
  });

  it('tells events apart by a word with few values (a state) but not by a word with many (a user)', () => {
    const miner = new TemplateMiner();
    const states = ['NEW to RUNNING', 'RUNNING to DONE'];
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) lines.push(`task ${i} moved from ${states[i % 2]}`);
    for (let i = 0; i < 20; i++) lines.push(`login failed for user${String.fromCharCode(97 + i)}x`);
    for (const line of lines) miner.add(line);
    const events = new Set(templatesOf(miner, lines));
    expect(events).toEqual(
      new Set(['task <*> moved from NEW to RUNNING', 'task <*> moved from RUNNING to DONE', 'login failed for <*>']),
    );
  });

  it('counts the values of a repeated line (answered from the exact-line cache) like those of a new one', () => {
    const miner = new TemplateMiner();
    for (const user of ['alice', 'bob', 'bob', 'carol', 'bob', 'alice']) miner.add(`session for user ${user} opened`);
    const [template] = miner.toJSON().templates;
    expect(template!.tokens).toEqual(['session', 'for', 'user', '<*>', 'opened']);
    expect(template!.count).toBe(6);
    expect(template!.values).toEqual([
      [
        3,
        [
          ['alice', 2],
          ['bob', 3],
          ['carol', 1],
        ],
      ],
    ]);
  });

  it('generalises key=value tokens to keep the key', () => {
    const miner = new TemplateMiner();
    miner.add('session opened user=root tty=ssh');
    miner.add('session opened user=admin tty=ssh');
    miner.add('session opened user=guest tty=ssh');
    miner.add('session opened user=ops tty=ssh');
    expect(miner.templates().map((t) => t.template)).toEqual(['session opened user=<*> tty=ssh']);
  });

  it('keeps apart messages below the similarity threshold', () => {
    const miner = new TemplateMiner({ similarity: 0.5 });
    miner.add('disk full on volume data');
    miner.add('cache miss for key data');
    expect(miner.templates()).toHaveLength(2);
  });

  it('match does not learn, and answers undefined for an unseen kind of message', () => {
    const miner = new TemplateMiner();
    miner.add('worker 1 started');
    expect(miner.match('worker 7 started')?.template).toBe('worker <*> started');
    expect(miner.match('completely different words here')).toBeUndefined();
    expect(miner.templates()[0]!.count).toBe(1);
  });

  it('round-trips its state through JSON and keeps learning from it', () => {
    const miner = new TemplateMiner({ masks: ['blk_-?\\d+'], similarity: 0.6 });
    for (let i = 0; i < 5; i++) miner.add(`Deleting block blk_${i * 7} file /data/${i}`);
    miner.add('Verification succeeded for blk_99');
    const restored = TemplateMiner.fromJSON(JSON.parse(JSON.stringify(miner)));
    expect(restored.options).toEqual(miner.options);
    expect(restored.templates()).toEqual(miner.templates());
    expect(restored.match('Deleting block blk_12 file /data/4')?.template).toBe('Deleting block <*> file <*>');
    const next = restored.add('Verification succeeded for blk_5');
    expect(next.count).toBe(2);
    const fresh = restored.add('brand new message');
    expect(miner.templates().some((t) => t.id === fresh.id)).toBe(false);
  });

  it('rejects bad options and bad state with the field named', () => {
    expect(() => new TemplateMiner({ similarity: 0 })).toThrow(/similarity/);
    expect(() => new TemplateMiner({ depth: 2 })).toThrow(/depth/);
    expect(() => new TemplateMiner({ maxChildren: 1 })).toThrow(/maxChildren/);
    expect(() => TemplateMiner.fromJSON({} as never)).toThrow(/version/);
  });

  it('routes at most maxChildren distinct leading tokens and still finds every template', () => {
    const miner = new TemplateMiner({ maxChildren: 3 });
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    for (const w of words) miner.add(`${w} service ready`);
    for (const w of words) expect(miner.match(`${w} service ready`)).toBeDefined();
  });
});

describe('TemplateMiner on lines that are each their own template', () => {
  /** Twenty words of letters (nothing a mask replaces) that no other line shares. */
  const ownTemplate = (i: number) =>
    Array.from({ length: 20 }, (_, k) => `${(i * 20 + k).toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[+d]!)}q`).join(
      ' ',
    );

  it('counts its comparisons, which grow with the square of the templates, and stops at its limit', () => {
    const unbounded = new TemplateMiner();
    for (let i = 0; i < 200; i++) unbounded.add(`WARN ${ownTemplate(i)}`);
    expect(unbounded.templates()).toHaveLength(200);
    // Each line is compared with every template before it, three times over (its leaf, its length twice).
    expect(unbounded.comparisons).toBeGreaterThan(((200 * 199) / 2) * 21);

    const bounded = new TemplateMiner({}, unbounded.comparisons / 2);
    expect(() => {
      for (let i = 0; i < 200; i++) bounded.add(`WARN ${ownTemplate(i)}`);
    }).toThrow(new MinerWorkError(unbounded.comparisons / 2));
  });

  it("learns a line added n times at once as from n adds (a window's repeated line is one call)", () => {
    const lines = ['state A user u1', 'state B user u2', 'state C user u3', 'state B user u2', 'state D user u4'];
    const one = new TemplateMiner();
    const many = new TemplateMiner();
    for (const line of lines) {
      for (let n = 0; n < 3; n++) one.add(line);
      many.addMasked(many.mask(line), 3);
    }
    expect(many.toJSON()).toEqual(one.toJSON());
    expect(many.templates()[0]!.count).toBe(15);
  });

  it('compares a repeated kind of line with few templates', () => {
    const miner = new TemplateMiner();
    for (let i = 0; i < 2_000; i++) miner.add(`INFO user u${i} logged in from 10.0.${i % 200}.1 after ${i} ms`);
    expect(miner.templates()).toHaveLength(1);
    expect(miner.comparisons).toBeLessThan(100);
  });
});

describe('TemplateMiner on logs it was not tuned on', () => {
  it('does not count a variable with only punctuation around it (`<*>:`) as an equal constant', () => {
    const miner = new TemplateMiner();
    miner.add('17 42 temp: high fan ok');
    miner.add('18 43 volt: high fan ok'); // → `<*> <*> <*>: high fan ok`
    // Shares only `ok` and the colon of a key with it: another event.
    miner.add('19 44 mode: low disk ok');
    expect(miner.templates().map((t) => t.template)).toEqual(['<*> <*> <*>: high fan ok', '<*> <*> mode: low disk ok']);
  });

  it('keeps brackets and parentheses around a generalised value, also when it is generalised again', () => {
    const miner = new TemplateMiner();
    for (const host of ['ab-host.example.org', 'xy-relay.example.net', 'pq.local', 'gateway']) {
      miner.add(`connection from 10.1.2.3 (${host}) accepted`);
    }
    for (const id of ['c0ffee12-aaaa-bbbb-cccc-0123456789ab]', 'deadbeef-1111-2222-3333-444455556666]', 'pending]']) {
      miner.add(`[instance: ${id} VM started`);
    }
    expect(miner.templates().map((t) => t.template)).toEqual([
      'connection from <*> (<*>) accepted',
      '[instance: <*>] VM started',
    ]);
  });

  it('treats month and weekday names as part of a date, not as words that tell events apart', () => {
    const miner = new TemplateMiner();
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) lines.push(`login at ${['Sun', 'Mon'][i % 2]} ${['Jun', 'Jul'][i % 2]} ${i + 3} ok`);
    for (const line of lines) miner.add(line);
    expect(new Set(templatesOf(miner, lines))).toEqual(new Set(['login at <*> <*> <*> ok']));
  });

  it('treats the value of key=value as a parameter, unless the values are upper-case constants', () => {
    const miner = new TemplateMiner();
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) lines.push(`auth failure uid=${i} user=${['root', 'guest', 'test'][i % 3]}`);
    for (let i = 0; i < 12; i++) lines.push(`touch event x=${i} action=${['ACTION_DOWN', 'ACTION_UP'][i % 2]}`);
    for (const line of lines) miner.add(line);
    expect(new Set(templatesOf(miner, lines))).toEqual(
      new Set([
        'auth failure uid=<*> user=<*>',
        'touch event x=<*> action=ACTION_DOWN',
        'touch event x=<*> action=ACTION_UP',
      ]),
    );
  });
});
