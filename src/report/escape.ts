// Text taken from a repository (table, column, index and file names, SQL) placed into GitHub
// markdown so that it renders as the same text and nothing else: no mention (`@org/team`), no link
// (`[x](https://…)`, bare `https://…`), no HTML, no emphasis. GitHub runs mention and autolink
// filters over rendered text outside code, so inside code spans the text is inert; outside them the
// markdown punctuation is backslash-escaped (CommonMark §2.4) and the `@` and `://` that would start
// a mention or an autolink get a zero-width space (U+200B), which GitHub does not link across.

const ZWSP = "\u200b";

/** An inline code span holding `text` verbatim: the fence is longer than any backtick run inside (CommonMark §6.1). */
export function codeSpan(text: string): string {
  const flat = text.replace(/\r?\n/g, " ");
  let longest = 0;
  for (const run of flat.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || (flat.startsWith(" ") && flat.endsWith(" ") && flat.trim() !== "") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * Plain text with the characters that could make markup escaped: links and images (`[`, `]`), HTML
 * (`<`, `>`), code and emphasis (`` ` ``, `*`, `~`), table cells (`|`) and the backslash itself. `_`
 * is left alone (GitHub does not emphasise inside words, and identifiers are full of it). Mentions,
 * issue references (`#12`) and bare URLs are broken with a zero-width space.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/@/g, `@${ZWSP}`)
    .replace(/#(?=\d)/g, `#${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`);
}

/** A table cell: like safeMarkdown, and `|` escaped inside code spans too (GFM splits cells before reading spans). */
export function safeCell(text: string): string {
  return safeMarkdown(text.replace(/\s+/g, " ").trim()).replace(/(?<!\\)\|/g, "\\|");
}

/**
 * A message that may hold code spans of its own (`like_this`): spans are kept (inert already),
 * the text between them is escaped. Backtick runs are paired as CommonMark pairs them; an unpaired
 * run is literal text and escaped with the rest.
 */
export function safeMarkdown(text: string): string {
  let out = "";
  let i = 0;
  let plainStart = 0;
  while (i < text.length) {
    if (text[i] !== "`") {
      i++;
      continue;
    }
    let j = i;
    while (text[j] === "`") j++;
    const run = j - i;
    // The closing run has exactly the same length.
    let k = j;
    let close = -1;
    while (k < text.length) {
      if (text[k] !== "`") {
        k++;
        continue;
      }
      let m = k;
      while (text[m] === "`") m++;
      if (m - k === run) {
        close = k;
        break;
      }
      k = m;
    }
    if (close < 0) {
      i = j;
      continue;
    }
    out += escapeMarkdown(text.slice(plainStart, i)) + text.slice(i, close + run);
    i = close + run;
    plainStart = i;
  }
  return out + escapeMarkdown(text.slice(plainStart));
}
