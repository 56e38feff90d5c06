// Finds and reads the config file for the command line. The app reads the same file through
// Probot's config loading and validates it with validateConfig().
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument, isNode, type Document } from "yaml";
import { DEFAULT_CONFIG, type AuditConfig } from "../core/config.js";
import { findConfig, isFile } from "./find.js";
import { validateConfig, type ConfigPath } from "./validate.js";

export { CONFIG_CANDIDATES } from "./find.js";

/** A config file larger than this is not a config file. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export type LoadOutcome =
  | { ok: true; config: AuditConfig; /** The file read, as given or relative to the root; null when none exists. */ file: string | null; warnings: string[] }
  | { ok: false; message: string };

export interface LoadOptions {
  /** The audited root. */
  root: string;
  /** `--config FILE`, relative to the working directory. */
  configFile?: string;
  knownRules?: readonly string[];
}

export async function loadConfig(options: LoadOptions): Promise<LoadOutcome> {
  let absolute: string;
  let label: string;
  if (options.configFile) {
    absolute = path.resolve(options.configFile);
    label = options.configFile;
    if (!(await isFile(absolute))) return { ok: false, message: `config file ${label} not found` };
  } else {
    const found = await findConfig(options.root);
    if (!found) return { ok: true, config: DEFAULT_CONFIG, file: null, warnings: [] };
    absolute = path.join(options.root, found);
    label = found;
    // A config found in the audited folder is read only from inside it: a symbolic link out of it
    // (to /proc/self/environ, to a home folder) is refused, not followed.
    const [realRoot, realFile] = await Promise.all([realpath(options.root), realpath(absolute)]);
    const inside = path.relative(realRoot, realFile);
    if (inside.startsWith("..") || path.isAbsolute(inside)) {
      return { ok: false, message: `${label}: a symbolic link to a file outside the audited folder; not followed` };
    }
  }

  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (error) {
    return { ok: false, message: `${label}: cannot be read: ${(error as Error).message}` };
  }
  if (bytes.length > MAX_CONFIG_BYTES) return { ok: false, message: `${label}: larger than 1 MiB, not a config file` };
  return parseConfigText(bytes.toString("utf8"), label, options.knownRules);
}

/** Parses and validates config text; `label` names the file in every message. */
export function parseConfigText(text: string, label: string, knownRules?: readonly string[]): LoadOutcome {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const at = error.linePos?.[0];
    const place = at ? `${label}:${at.line}:${at.col}` : label;
    const firstLine = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    return { ok: false, message: `${place}: YAML syntax error: ${firstLine}` };
  }
  const raw: unknown = doc.toJS();
  const outcome = validateConfig(raw, label, { knownRules, lineOf: (p) => lineOf(doc, lineCounter, p) });
  if (!outcome.ok) return outcome;

  const warnings: string[] = [];
  if (raw && typeof raw === "object" && "_extends" in raw) {
    warnings.push(`${label}: "_extends" is resolved only by the GitHub App; the command line uses this file alone`);
  }
  return { ok: true, config: outcome.config, file: label, warnings };
}

/** The line of the deepest part of `configPath` that the document has (a key's own line when it exists). */
function lineOf(doc: Document, lineCounter: LineCounter, configPath: ConfigPath): number | undefined {
  for (let depth = configPath.length; depth > 0; depth--) {
    const prefix = configPath.slice(0, depth);
    const parent = depth > 1 ? doc.getIn(prefix.slice(0, -1), true) : doc.contents;
    // Point at the key rather than its value when the parent is a mapping.
    const pair = isNode(parent) && "items" in parent ? findPair(parent as { items: unknown[] }, prefix[depth - 1]) : undefined;
    const node = pair ?? doc.getIn(prefix, true);
    const range = isNode(node) ? node.range : undefined;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

function findPair(collection: { items: unknown[] }, key: string | number): unknown {
  if (typeof key === "number") return collection.items[key];
  for (const item of collection.items) {
    const pairKey = (item as { key?: unknown }).key;
    if (isNode(pairKey) && (pairKey as { value?: unknown }).value === key) return pairKey;
  }
  return undefined;
}
