import { describe, expect, it } from 'vitest';
import { linkify } from './linkify.ts';

describe('linkify', () => {
  it('turns http and https addresses into links and keeps the rest as text', () => {
    expect(linkify('see https://example.org/a?b=1 and http://x.test.')).toEqual([
      { text: 'see ' },
      { text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { text: ' and ' },
      { text: 'http://x.test', href: 'http://x.test/' },
      { text: '.' },
    ]);
  });

  it('never links other schemes', () => {
    for (const text of [
      'javascript:alert(1)',
      'data:text/html,<b>x</b>',
      'file:///etc/passwd',
      'ftp://example.org',
      'mailto:a@b.test',
    ]) {
      expect(linkify(text)).toEqual([{ text }]);
    }
  });

  it('does not swallow closing punctuation or markup characters', () => {
    expect(linkify('(https://example.org/x)')).toEqual([
      { text: '(' },
      { text: 'https://example.org/x', href: 'https://example.org/x' },
      { text: ')' },
    ]);
    expect(linkify('https://a.test/<img>')[0]).toEqual({
      text: 'https://a.test/',
      href: 'https://a.test/',
    });
  });

  it('returns plain text untouched', () => {
    expect(linkify('hello')).toEqual([{ text: 'hello' }]);
    expect(linkify('')).toEqual([]);
  });
});
