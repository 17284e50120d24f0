import { describe, expect, it } from 'vitest';
import { decodeClientMessage } from './codec.ts';
import { cleanDisplayName, distinctDisplayName, RESERVED_DISPLAY_NAMES } from './display-name.ts';
import { MAX_DISPLAY_NAME_LENGTH, PROTOCOL_VERSION } from './limits.ts';

const clean = (raw: string) => {
  const result = cleanDisplayName(raw);
  return result.ok ? result.name : `refused: ${result.reason}`;
};

describe('cleanDisplayName', () => {
  it('NFC-normalises', () => {
    expect(clean('Zoe\u0301')).toBe('Zoé');
    expect(clean('Zoe\u0301')).toBe('Z\u006f\u00e9');
  });

  it('strips bidi overrides and isolates, zero-width characters and controls', () => {
    expect(clean('\u202eevil\u202c')).toBe('evil');
    expect(clean('A\u2066B\u2069')).toBe('AB');
    expect(clean('Sa\u200bm\ufeff\u00ad')).toBe('Sam');
    expect(clean('Sam\u0000\u0007\u001b[31m')).toBe('Sam[31m');
    expect(clean('Tag\u{e0041}s')).toBe('Tags');
  });

  it('keeps emoji joined by a zero-width joiner, and drops a joiner anywhere else', () => {
    expect(clean('Ana 👩\u200d💻')).toBe('Ana 👩\u200d💻');
    expect(clean('An\u200da')).toBe('Ana');
  });

  it('collapses whitespace and trims', () => {
    expect(clean('  Sam \n\t Lee  ')).toBe('Sam Lee');
  });

  it('refuses lone surrogates, empty names and overlong ones', () => {
    expect(clean('a\ud800b')).toMatch(/^refused/);
    expect(clean('\udc00')).toMatch(/^refused/);
    expect(clean('\u200b\u202e ')).toMatch(/^refused/);
    expect(clean('x'.repeat(MAX_DISPLAY_NAME_LENGTH))).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
    expect(clean('x'.repeat(MAX_DISPLAY_NAME_LENGTH + 1))).toMatch(/^refused/);
    // A paired surrogate is a character like any other.
    expect(clean('😀')).toBe('😀');
  });
});

describe('distinctDisplayName', () => {
  it('tells a name apart from the names taken, ignoring case and compatibility forms', () => {
    expect(distinctDisplayName('Sam', [])).toBe('Sam');
    expect(distinctDisplayName('Sam', ['sam'])).toBe('Sam (2)');
    expect(distinctDisplayName('ＳＡＭ', ['Sam', 'Sam (2)'])).toBe('ＳＡＭ (3)');
  });

  it('reserves "You"', () => {
    expect(RESERVED_DISPLAY_NAMES).toContain('You');
    expect(distinctDisplayName('You', [])).toBe('You (2)');
    expect(distinctDisplayName('yOU', [])).toBe('yOU (2)');
  });

  it('stays within the length limit', () => {
    const long = 'x'.repeat(MAX_DISPLAY_NAME_LENGTH);
    const distinct = distinctDisplayName(long, [long]);
    expect(distinct).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
    expect(distinct.endsWith(' (2)')).toBe(true);
  });
});

describe('the join schema applies the rules', () => {
  const join = (displayName: string) =>
    decodeClientMessage(
      JSON.stringify({
        type: 'join',
        protocol: PROTOCOL_VERSION,
        roomId: 'a'.repeat(22),
        displayName,
      }),
    );

  it('passes the cleaned name on', () => {
    const decoded = join('\u202eSam\u200b');
    expect(decoded.ok && decoded.message.type === 'join' && decoded.message.displayName).toBe(
      'Sam',
    );
  });

  it('refuses a lone surrogate and a name that cleans to nothing, naming the field', () => {
    expect(join('\ud800')).toMatchObject({ ok: false, code: 'bad-message', path: 'displayName' });
    expect(join('\u200b')).toMatchObject({ ok: false, path: 'displayName' });
    expect(join('x'.repeat(MAX_DISPLAY_NAME_LENGTH * 4 + 1))).toMatchObject({ ok: false });
  });
});
