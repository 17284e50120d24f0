import { describe, expect, it } from 'vitest';
import { sanitizeFileName } from './sanitize-file-name.ts';

describe('sanitizeFileName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../x', 'x'],
    ['..\\..\\windows\\system32\\evil.dll', 'evil.dll'],
    ['/etc/passwd', 'passwd'],
    ['..', 'file'],
    ['', 'file'],
    ['   ', 'file'],
    ['.bashrc', 'bashrc'],
    ['CON', '_CON'],
    ['con.txt', '_con.txt'],
    ['LPT1', '_LPT1'],
    ['console.log', 'console.log'],
    ['photo\u202egpj.exe', 'photogpj.exe'],
    ['a\u2066b\u2069c.txt', 'abc.txt'],
    ['bell\u0007.txt', 'bell.txt'],
    ['new\nline.txt', 'newline.txt'],
    ['what?<>|.txt', 'what____.txt'],
    ['trailing. . ', 'trailing'],
    ['é.txt', 'é.txt'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('bounds the length and keeps a short extension', () => {
    const safe = sanitizeFileName(`${'a'.repeat(500)}.tar.gz`);
    expect(safe.length).toBe(200);
    expect(safe.endsWith('.gz')).toBe(true);
  });
});
