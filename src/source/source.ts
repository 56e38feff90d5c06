// What the core sees of a repository: a list of paths and a way to read one file.
// One implementation reads a folder (fs-source.ts), another a commit through the GitHub API.

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  /** Size in bytes, when known without reading the file. */
  size?: number;
}

export interface Source {
  /** Every file of the tree (not folders), relative paths with forward slashes. */
  list(): Promise<SourceFile[]>;
  /** The file's bytes. Rejects when the file cannot be read. */
  read(path: string): Promise<Uint8Array>;
}

/** Largest file the audit reads; a larger one is reported and skipped. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

export type TextResult = { ok: true; text: string } | { ok: false; reason: string };

/** Decodes a file as UTF-8 text, refusing binary content (a NUL byte, or invalid UTF-8). */
export function decodeText(bytes: Uint8Array): TextResult {
  const probe = bytes.subarray(0, Math.min(bytes.length, 8192));
  if (probe.includes(0)) return { ok: false, reason: "binary file (contains NUL bytes)" };
  try {
    let text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text };
  } catch {
    return { ok: false, reason: "not valid UTF-8 text" };
  }
}
