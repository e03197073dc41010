/**
 * Items at the edges of the item rules, shared by the unit tests of the rule and the tests
 * against a running lab: `refusedFor` is the words the refusal must hold, undefined for an
 * item every side accepts.
 */
export interface ItemCase {
  readonly name: string;
  readonly item: string;
  readonly refusedFor?: RegExp;
}

const FAMILY = '👨‍👩‍👧‍👦';
const LENGTH = /item must be 1 to 100 characters long, counted as a reader does/;
const CONTROL = /item must be free of control characters/;
const INVISIBLE = /item must be more than white space and invisible characters/;

/** 199 letters, each its own grapheme: 199 characters however they are counted. */
const LETTERS_199 = Array.from({ length: 199 }, (_, i) =>
  String.fromCharCode(0x61 + (i % 26)),
).join('');

export const ITEM_CASES: readonly ItemCase[] = [
  { name: '30 family emoji (210 code points)', item: FAMILY.repeat(30) },
  { name: '100 family emoji', item: FAMILY.repeat(100) },
  { name: '101 family emoji', item: FAMILY.repeat(101), refusedFor: LENGTH },
  { name: '199 letters', item: LETTERS_199, refusedFor: LENGTH },
  { name: '100 letters', item: LETTERS_199.slice(0, 100) },
  { name: 'empty', item: '', refusedFor: LENGTH },
  { name: '"café" (é precomposed, 4 characters)', item: 'caf\u00e9' },
  { name: '"café" (e and a combining accent, 4 characters)', item: 'cafe\u0301' },
  { name: '100 × "é" written as e and a combining accent', item: 'e\u0301'.repeat(100) },
  {
    name: '101 × "é" written as e and a combining accent',
    item: 'e\u0301'.repeat(101),
    refusedFor: LENGTH,
  },
  { name: 'only zero-width spaces', item: '\u200b\u200b\u200b', refusedFor: INVISIBLE },
  { name: 'only a zero-width joiner', item: '\u200d', refusedFor: INVISIBLE },
  { name: 'only white space', item: ' \u00a0\u3000', refusedFor: INVISIBLE },
  { name: 'NUL', item: '\u0000', refusedFor: CONTROL },
  { name: 'a NUL inside a word', item: 'ab\u0000c', refusedFor: CONTROL },
  { name: 'an ANSI escape', item: '\u001b[31mred', refusedFor: CONTROL },
  { name: 'a newline', item: 'two\nlines', refusedFor: CONTROL },
  { name: 'a tab', item: 'a\tb', refusedFor: CONTROL },
  { name: 'DEL and a C1 control', item: 'a\u007f\u0085', refusedFor: CONTROL },
  { name: 'a lone surrogate', item: 'a\ud800', refusedFor: /item must be valid Unicode/ },
  { name: 'a word inside spaces', item: '  a  ' },
  { name: 'a word with a zero-width joiner inside', item: 'a\u200db' },
  { name: 'an emoji with a variation selector', item: '\u2764\ufe0f' },
];
