import { compileMasks, maskLine, tokenize } from './tokenize';

describe('tokenize', () => {
  it('masks numbers and digit-heavy identifiers but keeps keys and words with a digit', () => {
    expect(tokenize('PacketResponder 1 for block 42 terminating')).toEqual([
      'PacketResponder',
      '<*>',
      'for',
      'block',
      '<*>',
      'terminating',
    ]);
    expect(maskLine('PendingReds:0')).toBe('PendingReds:<*>');
    expect(maskLine('attempt_1445144423722_0020_m_000000_0')).toBe('<*>');
    expect(maskLine('ssh2')).toBe('ssh2');
    expect(maskLine('jk2_init()')).toBe('jk2_init()');
    expect(maskLine('0x1F')).toBe('<*>');
    expect(maskLine('deadbeef01')).toBe('<*>');
    expect(maskLine('ABCDEF12')).toBe('<*>');
    expect(maskLine('0xZZ')).toBe('0xZZ');
    expect(maskLine('deadbeefg1')).toBe('deadbeefg1');
  });

  it('counts letters beyond ASCII as word characters', () => {
    expect(maskLine('Größe über12 straße')).toBe('Größe <*> straße');
    expect(maskLine('ключ=42 значение')).toBe('ключ=<*> значение');
  });

  it('joins the parts of one address, version or path into one variable', () => {
    expect(maskLine('10.251.73.220')).toBe('<*>');
    expect(maskLine('(uid=1000)')).toBe('(uid=<*>)');
    expect(maskLine('/10.251.73.220:50010')).toBe('<*>');
    expect(maskLine('[hdfs://msra-sa-41:9000]')).toBe('[<*>]');
    expect(maskLine('/var/lib/zookeeper/version-2/snapshot.1')).toBe('<*>');
    expect(maskLine('/mapreduce/*')).toBe('/mapreduce/*');
  });

  it('collapses only the piece of a token that is a path with a variable, between brackets, quotes and =', () => {
    expect(maskLine('url="http://h:8080/a",next=/b/c')).toBe('url="<*>",next=/b/c');
    expect(maskLine('{/x/1;/y/z}')).toBe('{<*>;/y/z}');
    expect(maskLine("at('/tmp/job_12/x')")).toBe("at('<*>')");
    // A no-break space is a word character to the masker but ends a path piece, as a regular expression's \s.
    expect(maskLine('/a/1.\u00a0/b')).toBe('<*>\u00a0/b');
    expect(maskLine('/a/1.\u00a0/b/2')).toBe('<*>\u00a0<*>');
    expect(maskLine('src/1.2@3#4')).toBe('<*>');
    expect(maskLine('v1/7::7')).toBe('<*>::<*>');
  });

  it('keeps a sign with its number but not a hyphen inside a word', () => {
    expect(maskLine('timeout:-1')).toBe('timeout:<*>');
    expect(maskLine('-40')).toBe('<*>');
    expect(maskLine('r-o')).toBe('r-o');
    expect(maskLine('x-1')).toBe('x-<*>');
  });

  it('treats flag values as variables', () => {
    expect(maskLine('ws=null')).toBe('ws=<*>');
    expect(maskLine('true')).toBe('<*>');
    expect(maskLine('nullable')).toBe('nullable');
  });

  it('applies masks before splitting and names a broken mask', () => {
    const masks = compileMasks(['blk_-?\\d+']);
    expect(tokenize('deleting blk_-123 now', masks)).toEqual(['deleting', '<*>', 'now']);
    expect(() => compileMasks(['ok', '(unclosed'])).toThrow(/masks\[1\]/);
  });

  it('compiles masks as RE2 (linear-time matching): lookaround and backreferences are refused by name', () => {
    // A backtracking pattern is matched like any other; test/security/regex.test.ts shows it cannot stall the service.
    const masks = compileMasks(['(a+)+b']);
    expect(maskLine(`${'a'.repeat(20)}! aab`, masks)).toBe(`${'a'.repeat(20)}! <*>`);
    expect(() => compileMasks(['\\d+', '(?<=id=)\\w+'])).toThrow(/masks\[1\]/);
    expect(() => compileMasks(['(a)\\1'])).toThrow(/masks\[0\].*\\1/);
  });

  it('replaces each mask match literally, even where the wildcard would be a replacement pattern', () => {
    expect(maskLine('cost $12 id=ab$cd', compileMasks(['\\$\\d+', 'ab\\$cd']))).toBe('cost <*> id=<*>');
  });

  it('splits on any whitespace and ignores runs of it', () => {
    expect(tokenize('  a\tb   c \r\n')).toEqual(['a', 'b', 'c']);
    expect(tokenize('')).toEqual([]);
    // The ends are trimmed of all that String.prototype.trim strips, not only ASCII whitespace.
    expect(maskLine('\u00a0a 1\ufeff')).toBe('a <*>');
    expect(maskLine('\u3000')).toBe('');
    expect(maskLine('a\u00a0b')).toBe('a\u00a0b');
  });

  it('masks a whole line in one pass exactly as token by token (seeded random lines)', () => {
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pieces = [
      'a',
      'Z9',
      '12',
      '-',
      '+',
      '.',
      ':',
      '/',
      '@',
      '#',
      '=',
      'true',
      'null',
      '<*>',
      'x_1',
      '0x1f',
      ' ',
      '  ',
      '\t',
      '(',
      ')',
      'ab12cd',
      'http://h',
      'v1.2.3',
    ];
    for (let n = 0; n < 2000; n++) {
      let line = '';
      const count = 1 + Math.floor(next() * 14);
      for (let k = 0; k < count; k++) line += pieces[Math.floor(next() * pieces.length)];
      const byToken = line
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((token) => maskLine(token))
        .join(' ');
      expect(maskLine(line)).toBe(byToken);
    }
  });

  it('keeps the whitespace a mask matched at its ends, so the variable stays its own token', () => {
    const masks = compileMasks(['0x.*?\\s', '/.+?\\s']);
    expect(maskLine('result 0x80004005 - E_FAIL', masks)).toBe('result <*> - E_FAIL');
    expect(maskLine('GET /v2/servers/detail HTTP/1.1" status: 200', masks)).toBe('GET <*> <*> status: <*>');
    // A match without whitespace at its ends is one variable as before.
    expect(maskLine('core.2275 written', compileMasks(['core\\.\\d+']))).toBe('<*> written');
  });

  it('treats a Windows path with a variable in it as one variable, like a / path', () => {
    expect(maskLine('Core: C:\\Windows\\winsxs\\amd64_6.1.7601_none\\cbscore.dll loaded')).toBe('Core: <*> loaded');
    expect(maskLine('at C:\\Windows\\servicing\\sqm')).toBe('at C:\\Windows\\servicing\\sqm');
  });
});
