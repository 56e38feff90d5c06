// A single linear pass over a migration script, in the spirit of psql's own lexer:
// it finds where statements end (top-level semicolons), blanks out what only psql understands
// (meta-commands, `:variables`, COPY ... FROM stdin data) and notes suppression comments.
// Every edit keeps the text's length and its newlines, so offsets, lines and columns stay true.

export const SUPPRESSION_MARKER = "index-audit-ignore";

/** One statement's extent: `start` is its first token, `end` the offset of its `;` (or, for a last statement without one, the end of its last token). */
export interface Span {
  start: number;
  end: number;
}

export interface Comment {
  start: number;
  end: number;
  text: string;
}

export interface PreparedScript {
  /** The script with psql-only syntax blanked out; same length and line breaks as the input. */
  text: string;
  /** Statements in order, each with some content besides comments. */
  spans: Span[];
  /** Comments that contain the suppression marker. */
  markerComments: Comment[];
  /** How many psql meta-commands were blanked out. */
  metaCommands: number;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/** The closing tag of a dollar quote starting at `i` (`$$` or `$tag$`), or null when `$` starts something else. */
function dollarTagAt(text: string, i: number): string | null {
  let j = i + 1;
  const first = text.charCodeAt(j);
  if (first === 36) return "$$";
  if (!isIdentStart(first)) return null;
  j++;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 36) return text.slice(i, j + 1);
    if (!isIdentChar(c)) return null;
    j++;
  }
  return null;
}

/**
 * Lexes a script once. Strings, quoted identifiers, dollar quotes and comments are skipped the way
 * PostgreSQL's scanner skips them (standard_conforming_strings on, E'' strings with backslash escapes),
 * and semicolons inside parentheses or a `BEGIN ATOMIC ... END` body do not end the statement.
 */
export function prepareScript(input: string): PreparedScript {
  const n = input.length;
  const spans: Span[] = [];
  const markerComments: Comment[] = [];
  // Edits as [start, end, replacement] with replacement.length === end - start.
  const edits: Array<[number, number, string]> = [];
  let metaCommands = 0;
  const setVariables = new Set<string>();

  let nextMarker = input.indexOf(SUPPRESSION_MARKER);
  const noteComment = (start: number, end: number): void => {
    while (nextMarker !== -1 && nextMarker < start) nextMarker = input.indexOf(SUPPRESSION_MARKER, nextMarker + 1);
    if (nextMarker !== -1 && nextMarker < end) {
      markerComments.push({ start, end, text: input.slice(start, end) });
    }
  };

  let stmtStart = -1; // first token of the current statement
  let lastEnd = 0; // end of the last token seen, so a final statement ends before trailing comments
  let stmtIsCopy = false;
  let prevWord = "";
  let atomicDepth = 0;
  let bracketDepth = 0;
  // As in psql: a semicolon inside parentheses (CREATE RULE ... DO ALSO (a; b)) does not end the statement.
  let parenDepth = 0;

  const touch = (i: number): void => {
    if (stmtStart === -1) stmtStart = i;
  };

  const endStatement = (end: number): void => {
    if (stmtStart !== -1) spans.push({ start: stmtStart, end });
    stmtStart = -1;
    stmtIsCopy = false;
    prevWord = "";
    atomicDepth = 0;
    bracketDepth = 0;
    parenDepth = 0;
  };

  let i = 0;
  while (i < n) {
    const c = input.charCodeAt(i);

    if (isSpace(c)) {
      i++;
      continue;
    }

    // -- line comment
    if (c === 45 && input.charCodeAt(i + 1) === 45) {
      let end = input.indexOf("\n", i);
      if (end === -1) end = n;
      noteComment(i, end);
      i = end;
      continue;
    }

    // /* block comment */, nested as in PostgreSQL
    if (c === 47 && input.charCodeAt(i + 1) === 42) {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        const d = input.charCodeAt(j);
        if (d === 47 && input.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
        } else if (d === 42 && input.charCodeAt(j + 1) === 47) {
          depth--;
          j += 2;
        } else j++;
      }
      noteComment(i, j);
      i = j;
      continue;
    }

    // 'string', E'string' (backslash escapes)
    if (c === 39) {
      touch(i);
      const prev = i > 0 ? input.charCodeAt(i - 1) : 0;
      const before = i > 1 ? input.charCodeAt(i - 2) : 0;
      const escapes = (prev === 69 || prev === 101) && !isIdentChar(before);
      i = closingQuote(input, i, 39, escapes) + 1;
      lastEnd = Math.min(i, n);
      continue;
    }

    // "quoted identifier"
    if (c === 34) {
      touch(i);
      i = closingQuote(input, i, 34, false) + 1;
      lastEnd = Math.min(i, n);
      continue;
    }

    // $tag$ dollar quote $tag$ (but not $1 parameters, nor `$` inside an identifier)
    if (c === 36) {
      touch(i);
      const tag = i > 0 && isIdentChar(input.charCodeAt(i - 1)) ? null : dollarTagAt(input, i);
      if (tag) {
        const close = input.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
      } else i++;
      lastEnd = i;
      continue;
    }

    // psql meta-command: runs to the end of the line
    if (c === 92) {
      let end = input.indexOf("\n", i);
      if (end === -1) end = n;
      const command = input.slice(i, end);
      metaCommands++;
      const set = /^\\set\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(command);
      if (set) setVariables.add(set[1]);
      // \g and its siblings send the query buffer, as a semicolon would.
      const sends = /^\\g(?:x|exec|set|desc)?\b/.test(command) || command.startsWith("\\;");
      edits.push([i, end, (sends ? ";" : " ") + " ".repeat(end - i - 1)]);
      if (sends && stmtStart !== -1) endStatement(i);
      i = end;
      continue;
    }

    // psql variables :name, :'name', :"name" (never ::casts, := or array slices)
    if (c === 58) {
      const next = input.charCodeAt(i + 1);
      if (next === 58) {
        touch(i);
        i += 2;
        lastEnd = i;
        continue;
      }
      if ((next === 39 || next === 34) && isIdentStart(input.charCodeAt(i + 2))) {
        let j = i + 2;
        while (j < n && isIdentChar(input.charCodeAt(j))) j++;
        if (input.charCodeAt(j) === next) {
          touch(i);
          edits.push([i, i + 1, " "]);
          i = j + 1;
          lastEnd = i;
          continue;
        }
      } else if (isIdentStart(next)) {
        let j = i + 1;
        while (j < n && isIdentChar(input.charCodeAt(j))) j++;
        const name = input.slice(i + 1, j);
        if (bracketDepth === 0 || setVariables.has(name)) {
          touch(i);
          edits.push([i, i + 1, " "]);
          i = j;
          lastEnd = i;
          continue;
        }
      }
      touch(i);
      i++;
      lastEnd = i;
      continue;
    }

    if (c === 59) {
      if (atomicDepth > 0 || parenDepth > 0) {
        i++;
        continue;
      }
      const isCopy = stmtIsCopy && stmtStart !== -1 && /\bfrom\s+stdin\b/i.test(input.slice(stmtStart, i));
      endStatement(i);
      i++;
      if (isCopy) {
        // COPY ... FROM stdin: data lines follow, up to a line holding only `\.`.
        const m = /^\\\.[ \t]*\r?$/m.exec(input.slice(i));
        const end = m ? i + m.index + m[0].length : n;
        edits.push([i, end, input.slice(i, end).replace(/[^\n\r]/g, " ")]);
        i = end;
      }
      continue;
    }

    if (isIdentStart(c)) {
      touch(i);
      let j = i + 1;
      while (j < n && isIdentChar(input.charCodeAt(j))) j++;
      const len = j - i;
      // Only the few words that change how semicolons count are looked at:
      // begin, atomic, case, end, copy (checked by length and first letter before reading them).
      const lower = c | 32;
      if (
        (len === 5 && lower === 98) ||
        (len === 6 && lower === 97) ||
        (len === 4 && lower === 99) ||
        (len === 3 && lower === 101)
      ) {
        const word = input.slice(i, j).toLowerCase();
        if (stmtStart === i && word === "copy") stmtIsCopy = true;
        if (atomicDepth === 0) {
          if (word === "atomic" && prevWord === "begin") atomicDepth = 1;
        } else if (word === "case") atomicDepth++;
        else if (word === "end") atomicDepth--;
        prevWord = word;
      } else prevWord = "";
      i = j;
      lastEnd = i;
      continue;
    }

    if (c === 91) bracketDepth++;
    else if (c === 93 && bracketDepth > 0) bracketDepth--;
    else if (c === 40) parenDepth++;
    else if (c === 41 && parenDepth > 0) parenDepth--;
    touch(i);
    i++;
    lastEnd = i;
  }
  endStatement(Math.max(lastEnd, stmtStart));

  let text = input;
  if (edits.length > 0) {
    edits.sort((a, b) => a[0] - b[0]);
    const parts: string[] = [];
    let at = 0;
    for (const [start, end, replacement] of edits) {
      if (start < at) continue;
      parts.push(input.slice(at, start), replacement);
      at = end;
    }
    parts.push(input.slice(at));
    text = parts.join("");
  }
  return { text, spans, markerComments, metaCommands };
}

/** Replaces everything outside [from, to) with blanks, keeping line breaks, so offsets stay the file's. */
export function keepOnly(text: string, ranges: Array<[number, number]>): string {
  const parts: string[] = [];
  let at = 0;
  for (const [from, to] of ranges) {
    parts.push(text.slice(at, from).replace(/[^\n\r]/g, " "), text.slice(from, to));
    at = to;
  }
  parts.push(text.slice(at).replace(/[^\n\r]/g, " "));
  return parts.join("");
}

/**
 * The offset of the quote that closes the string or identifier opened at `open` (a doubled quote is
 * one quote inside it; with `backslashEscapes`, as in E'...', a backslash escapes the next character),
 * or the end of the input when it is never closed.
 */
function closingQuote(input: string, open: number, quote: number, backslashEscapes: boolean): number {
  let j = open + 1;
  while (j < input.length) {
    const d = input.charCodeAt(j);
    if (backslashEscapes && d === 92) {
      j += 2;
      continue;
    }
    if (d === quote) {
      if (input.charCodeAt(j + 1) === quote) {
        j += 2;
        continue;
      }
      return j;
    }
    j++;
  }
  return input.length;
}
