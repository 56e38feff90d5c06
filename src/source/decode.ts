// Bytes to text, the same way for every source (a folder, or blobs read through the GitHub API), so
// both decide alike whether a file is text and which characters it holds.

export type TextEncodingName = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export type TextResult =
  | {
      ok: true;
      text: string;
      /** How the bytes were read; "windows-1252" means they are not valid UTF-8 (a legacy 8-bit file). */
      encoding?: TextEncodingName;
    }
  | { ok: false; reason: string };

/** Bytes looked at to tell text from binary: git's window (xdiff's FIRST_FEW_BYTES). */
export const BINARY_PROBE_BYTES = 8000;

/** Counts of the probe's bytes, classified the way git's convert.c (gather_stats) does. */
export interface ByteStats {
  nul: number;
  /** C0 controls other than TAB, BS, LF, FF, CR and ESC, plus DEL; NUL included. */
  nonPrintable: number;
  printable: number;
}

export function byteStats(bytes: Uint8Array): ByteStats {
  let nul = 0;
  let nonPrintable = 0;
  let printable = 0;
  // An indexed loop: iterating a Uint8Array with for-of costs several times more per byte.
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x0a || c === 0x0d) continue;
    if (c < 0x20) {
      if (c === 0x09 || c === 0x08 || c === 0x1b || c === 0x0c) printable++;
      else {
        if (c === 0) nul++;
        nonPrintable++;
      }
    } else if (c === 0x7f) nonPrintable++;
    else printable++;
  }
  return { nul, nonPrintable, printable };
}

/** The bytes byteStats counts as non-printable, as characters: C0 controls but TAB, BS, LF, FF, CR and ESC; DEL. */
// eslint-disable-next-line no-control-regex
const NON_PRINTABLE = /[\x00-\x07\x0b\x0e-\x1a\x1c-\x1f\x7f]/;

/** One decoder for every file: a call without `stream` starts afresh, even after an error. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes a file's bytes as text, or says why it is not text.
 *
 * - A UTF-8 byte order mark is dropped; a UTF-16 one (FF FE, FE FF) reads the file as UTF-16.
 * - Valid UTF-8 is text unless control bytes are frequent: more than one in ten of the first 8,000 bytes
 *   (UTF-16 without a mark, archives of ASCII headers and NUL padding). A NUL written inside a string
 *   literal of a source file is one control byte among many printable ones, so the file stays text. Git
 *   calls any NUL binary (xdiff's buffer_is_binary); that is right for diffs, wrong for reading code.
 * - Bytes that are not valid UTF-8 are binary when the first 8,000 hold a NUL or more control bytes than
 *   one per 128 printable ones (git's convert.c threshold). Otherwise they are a legacy 8-bit file and
 *   are read as windows-1252, a superset of ISO 8859-1's printable characters that maps every byte, so
 *   reading never fails.
 *
 * Errors: none thrown; `{ ok: false, reason }` names why the bytes are not text.
 */
export function decodeText(bytes: Uint8Array): TextResult {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeWith("utf-16le", bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeWith("utf-16be", bytes.subarray(2));
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const probe = body.subarray(0, Math.min(body.length, BINARY_PROBE_BYTES));
  let text: string | null = null;
  try {
    text = UTF8.decode(body);
  } catch {
    text = null;
  }
  if (text !== null) {
    // The common case without counting bytes: a control byte is one character of its own in UTF-8, and the
    // probe's bytes decode to at most its length in characters, so none among those means none in the probe.
    if (!NON_PRINTABLE.test(text.slice(0, BINARY_PROBE_BYTES))) return { ok: true, text, encoding: "utf-8" };
    const stats = byteStats(probe);
    if (stats.nonPrintable * 10 > probe.length) return binary(stats);
    return { ok: true, text, encoding: "utf-8" };
  }
  const stats = byteStats(probe);
  if (stats.nul > 0 || stats.nonPrintable > stats.printable >> 7) return binary(stats);
  return { ok: true, text: decodeWindows1252(body), encoding: "windows-1252" };
}

/** 0x80-0x9F in windows-1252 (WHATWG Encoding's index); the five unassigned bytes map to C1 controls. */
const WINDOWS_1252_HIGH =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

/**
 * windows-1252 by hand: some Node builds decode the "windows-1252" label as ISO 8859-1, which turns
 * 0x80-0x9F (the euro sign, curly quotes, dashes) into C1 controls.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = "";
  const chunk: number[] = [];
  for (const b of bytes) {
    chunk.push(b >= 0x80 && b < 0xa0 ? WINDOWS_1252_HIGH.charCodeAt(b - 0x80) : b);
    if (chunk.length === 8192) {
      out += String.fromCharCode(...chunk);
      chunk.length = 0;
    }
  }
  return out + String.fromCharCode(...chunk);
}

function binary(stats: ByteStats): TextResult {
  return { ok: false, reason: stats.nul > 0 ? "binary file (contains NUL bytes)" : "binary file (control bytes, not text)" };
}

function decodeWith(encoding: "utf-16le" | "utf-16be", bytes: Uint8Array): TextResult {
  try {
    return { ok: true, text: new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes), encoding };
  } catch {
    return { ok: false, reason: `not valid ${encoding === "utf-16le" ? "UTF-16LE" : "UTF-16BE"} text despite its byte order mark` };
  }
}
