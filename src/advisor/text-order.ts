// The order `localeCompare` gives file paths, without ICU for the paths most repositories have: the first
// localeCompare of a process loads ICU's collator, some milliseconds of a run that sorts a few findings.

/** `_-./0-9a-z` in the order of ICU's root collation (CLDR root): punctuation, then digits, then letters. */
const ALPHABET = "_-./0123456789abcdefghijklmnopqrstuvwxyz";
const RANK = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) RANK[ALPHABET.charCodeAt(i)] = i;

/**
 * Negative, zero or positive as `a.localeCompare(b)` is. Two texts made only of `_-./`, digits and lowercase
 * letters differ in the first character where they differ, each of those characters having its own primary
 * weight in the root collation (no case, accent or contraction to weigh), and a text before any it begins;
 * other texts go to localeCompare.
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  let first = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < a.length || i < b.length; i++) {
    const x = i < a.length ? rank(a.charCodeAt(i)) : 0;
    const y = i < b.length ? rank(b.charCodeAt(i)) : 0;
    if (x < 0 || y < 0) return a.localeCompare(b);
    if (first === 0 && i < n && x !== y) first = x - y;
  }
  return first !== 0 ? first : a.length - b.length;
}

function rank(code: number): number {
  return code < 128 ? RANK[code] : -1;
}
