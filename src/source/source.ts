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

import { decodeText, type TextResult } from "./decode.js";

export { decodeText, type TextResult };

/** Reads a file as text through the source, with the size and binary checks every stage relies on. */
export type TextReader = (path: string) => Promise<TextResult>;

export function textReader(source: Source): TextReader {
  return async (path) => {
    let bytes: Uint8Array;
    try {
      bytes = await source.read(path);
    } catch (error) {
      return { ok: false, reason: `cannot be read: ${(error as Error).message}` };
    }
    if (bytes.length > MAX_FILE_BYTES) {
      return { ok: false, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB (${(bytes.length / 1024 / 1024).toFixed(1)} MiB), skipped` };
    }
    return decodeText(bytes);
  };
}
