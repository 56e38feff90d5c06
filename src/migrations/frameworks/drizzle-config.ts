// drizzle-kit's config file (drizzle.config.ts / .js / .mjs / .cjs / .mts / .json), read statically: the object
// literal that holds `out`, `schema` or `dialect`, and the string values written there. Nothing is evaluated,
// so a value computed at run time (an environment variable, a function call) is not known and is left out.
// Source: drizzle-kit "Configuration" docs (`out` defaults to "drizzle", relative to the config file's folder
// as drizzle-kit is run from there; `schema` is a path, glob or array of them; `dialect`).
import { parseSync } from "oxc-parser";
import { dirname, joinPath, normalizePath } from "../paths.js";

type Node = Record<string, any>;

/** A config file's name: drizzle.config.ts and its JavaScript and JSON variants. */
export const DRIZZLE_CONFIG = /(^|\/)drizzle\.config\.(ts|js|mjs|cjs|mts|cts|json)$/;

/** drizzle-kit's output folder when the config names none. */
export const DEFAULT_OUT = "drizzle";

export interface DrizzleConfig {
  /** The `out` string as written, or undefined when the config does not say (or says it in code). */
  out?: string;
  /** The `schema` entries as written (one string or an array of strings). */
  schema: string[];
  /** The `dialect` (or older `driver`) as written, lower-cased. */
  dialect?: string;
}

const KEYS = ["out", "schema", "dialect", "driver"];

function strip(node: Node | undefined): Node | undefined {
  let n = node;
  while (n && (n.type === "ParenthesizedExpression" || n.type === "TSAsExpression" || n.type === "TSSatisfiesExpression" || n.type === "TSNonNullExpression")) n = n.expression;
  return n;
}

function stringOf(node: Node | undefined): string | undefined {
  const n = strip(node);
  if (n?.type === "Literal" && typeof n.value === "string") return n.value;
  if (n?.type === "TemplateLiteral" && n.expressions.length === 0) return n.quasis[0]?.value?.cooked;
  return undefined;
}

function keyOf(p: Node): string | undefined {
  if (p.type !== "Property" || p.computed) return undefined;
  return p.key?.type === "Identifier" ? p.key.name : typeof p.key?.value === "string" ? p.key.value : undefined;
}

/** The first object literal, in source order, that has one of drizzle-kit's keys. */
function configObject(node: unknown): Node | undefined {
  if (!node || typeof node !== "object") return undefined;
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = configObject(child);
      if (found) return found;
    }
    return undefined;
  }
  const n = node as Node;
  if (n.type === "ObjectExpression" && n.properties.some((p: Node) => KEYS.includes(keyOf(p) ?? ""))) return n;
  for (const [key, value] of Object.entries(n)) {
    if (key === "parent" || key === "start" || key === "end") continue;
    if (value && typeof value === "object") {
      const found = configObject(value);
      if (found) return found;
    }
  }
  return undefined;
}

function fromValues(values: Record<string, unknown>): DrizzleConfig {
  const schema = values.schema;
  const dialect = typeof values.dialect === "string" ? values.dialect : typeof values.driver === "string" ? values.driver : undefined;
  return {
    ...(typeof values.out === "string" ? { out: values.out } : {}),
    schema: typeof schema === "string" ? [schema] : Array.isArray(schema) ? schema.filter((s): s is string => typeof s === "string") : [],
    ...(dialect ? { dialect: dialect.toLowerCase() } : {}),
  };
}

/** Reads a drizzle config's text; null when it cannot be parsed or holds no config object. */
export function readDrizzleConfig(path: string, text: string): DrizzleConfig | null {
  if (path.endsWith(".json")) {
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? fromValues(parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  let program: Node;
  try {
    const lang = /\.[cm]?ts$/.test(path) ? "ts" : "js";
    const parsed = parseSync(path, text, { sourceType: "module", lang });
    if (parsed.errors.some((e) => e.severity === "Error")) return null;
    program = parsed.program as unknown as Node;
  } catch {
    return null;
  }
  const object = configObject(program.body);
  if (!object) return null;
  const values: Record<string, unknown> = {};
  for (const p of object.properties) {
    const key = keyOf(p);
    if (!key || !KEYS.includes(key)) continue;
    const value = strip(p.value);
    if (value?.type === "ArrayExpression") values[key] = value.elements.map(stringOf).filter((s: string | undefined) => s !== undefined);
    else {
      const s = stringOf(value);
      if (s !== undefined) values[key] = s;
    }
  }
  return fromValues(values);
}

/** True when the config names a dialect (or an older `driver`) other than PostgreSQL's. */
export function foreignDrizzleDialect(config: DrizzleConfig): boolean {
  return config.dialect !== undefined && /^(mysql|mysql2|sqlite|better-sqlite|libsql|turso|singlestore|d1|d1-http|expo|gel|durable-sqlite)$/.test(config.dialect);
}

/**
 * A path written in the config, resolved against the config's folder to a repository path (`..` steps out);
 * null when it leaves the repository or is absolute.
 */
export function resolveFromConfig(configPath: string, written: string): string | null {
  const relative = normalizePath(written);
  if (relative.startsWith("/") || /^[A-Za-z]:/.test(relative)) return null;
  const parts: string[] = [];
  for (const part of joinPath(dirname(configPath), relative).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}
