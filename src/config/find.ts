// Where the command line finds the config file. Apart from load.ts, which reads and validates it (yaml,
// zod), so that a repository with no config file is audited without loading either.
import { stat } from "node:fs/promises";
import path from "node:path";

/** Where the config lives, relative to the audited root; the first one found wins. */
export const CONFIG_CANDIDATES = [".github/index-audit.yml", ".github/index-audit.yaml"] as const;

/** The first of CONFIG_CANDIDATES that is a file under `root`, or undefined. */
export async function findConfig(root: string): Promise<string | undefined> {
  for (const candidate of CONFIG_CANDIDATES) {
    if (await isFile(path.join(root, candidate))) return candidate;
  }
  return undefined;
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
