// Turns a parsed config file into an AuditConfig, or into one message a person can act on:
// the key path, what was expected there, and for a misspelt key the nearest valid name.
import type { z } from "zod";
import { resolveConfig, type AuditConfig } from "../core/config.js";
import { configSchema } from "./schema.js";

export type ConfigPath = ReadonlyArray<string | number>;

export type ValidationOutcome = { ok: true; config: AuditConfig } | { ok: false; message: string };

export interface ValidateOptions {
  /** Rule ids the audit knows; a `rules:` entry outside them is rejected with the nearest id. */
  knownRules?: readonly string[];
  /** Line of a key in the file, when the caller still has the parsed document. */
  lineOf?: (path: ConfigPath) => number | undefined;
}

/** The most problems listed in one message; the rest are counted. */
const MAX_LISTED = 5;

export function validateConfig(raw: unknown, fileLabel: string, options: ValidateOptions = {}): ValidationOutcome {
  // An empty YAML file parses to null: the same as no settings at all.
  const input = raw === null || raw === undefined ? {} : raw;
  const parsed = configSchema.safeParse(input);
  const problems: Array<{ path: ConfigPath; text: string }> = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(issue, [], input));
  }
  const rules = valueAt(input, ["rules"]);
  if (options.knownRules && rules && typeof rules === "object" && !Array.isArray(rules)) {
    for (const id of Object.keys(rules)) {
      if (options.knownRules.includes(id)) continue;
      const hint = nearest(id, options.knownRules);
      problems.push({
        path: ["rules", id],
        text: `unknown rule "${id}" at rules${hint ? ` — did you mean "${hint}"?` : ""} (rules: ${options.knownRules.join(", ")})`,
      });
    }
  }
  if (problems.length === 0 && parsed.success) return { ok: true, config: resolveConfig(parsed.data) };

  const lines = problems.slice(0, MAX_LISTED).map((p) => {
    const line = options.lineOf?.(p.path);
    return `${line ? `${fileLabel}:${line}: ` : `${fileLabel}: `}${p.text}`;
  });
  if (problems.length > MAX_LISTED) lines.push(`…and ${problems.length - MAX_LISTED} more problems in ${fileLabel}`);
  const heading = problems.length === 1 ? "invalid configuration" : `invalid configuration (${problems.length} problems)`;
  return { ok: false, message: `${heading}:\n${lines.map((l) => `  ${l}`).join("\n")}` };
}

/** `rules.fk-index`, `ignore[0].rule`; empty path reads as "top level". */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

function where(path: ConfigPath): string {
  return path.length === 0 ? "at top level" : `at ${formatPath(path)}`;
}

function valueAt(root: unknown, path: ConfigPath): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  // A short word is worth echoing ("sometimes"); anything else may be a file that is not a config
  // at all (a link to /proc/self/environ, a .env): its contents never reach an error message.
  if (typeof value === "string") return /^[\w./@:+-]{1,40}$/.test(value) && !value.includes("=") ? JSON.stringify(value) : `a string of ${value.length} characters`;
  return String(value);
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "object":
      return "a mapping (key: value)";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "int":
      return "a whole number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

function describeIssue(issue: z.core.$ZodIssue, prefix: ConfigPath, root: unknown): Array<{ path: ConfigPath; text: string }> {
  const path = [...prefix, ...(issue.path as Array<string | number>)];
  const got = valueAt(root, path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const valid = validKeysAt(path);
      return issue.keys.map((key) => {
        const hint = nearest(key, valid);
        const suggestion = hint ? ` — did you mean "${hint}"?` : valid.length ? ` (valid keys: ${valid.join(", ")})` : "";
        return { path: [...path, key], text: `unknown key "${key}" ${where(path)}${suggestion}` };
      });
    }
    case "invalid_type": {
      if (got === undefined) return [{ path, text: `${formatPath(path)}: required, expected ${describeExpected(issue.expected)}` }];
      return [{ path, text: `${label(path)}: expected ${describeExpected(issue.expected)}, got ${describeValue(got)}` }];
    }
    case "invalid_value":
      return [
        {
          path,
          text: `${label(path)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(got)}`,
        },
      ];
    case "invalid_union": {
      // A rule setting is a severity word or {severity: ...}: explain both shapes at once when neither fits.
      const atRoot = (b: z.core.$ZodIssue) => b.path.length === 0 && (b.code === "invalid_type" || b.code === "invalid_value");
      const deeper = issue.errors.find((branch) => branch.length > 0 && !branch.some(atRoot));
      if (deeper && typeof got === "object" && got !== null) return deeper.flatMap((b) => describeIssue(b, path, root));
      const words = issue.errors
        .flat()
        .flatMap((b) => (b.code === "invalid_value" ? b.values.map((v) => JSON.stringify(v)) : []));
      const shapes = issue.errors
        .flat()
        .filter((b) => b.code === "invalid_type" && b.path.length === 0)
        .map((b) => describeExpected((b as z.core.$ZodIssueInvalidType).expected));
      const options = [...(words.length ? [`one of ${words.join(", ")}`] : []), ...shapes.map((s) => (s.startsWith("a mapping") ? "a mapping with \"severity\"" : s))];
      return [{ path, text: `${label(path)}: expected ${options.join(" or ") || "another value"}, got ${describeValue(got)}` }];
    }
    case "too_small": {
      if (issue.origin === "string") return [{ path, text: `${label(path)}: must not be empty` }];
      if (issue.origin === "array") return [{ path, text: `${label(path)}: expected at least ${issue.minimum} item(s)` }];
      const bound = issue.inclusive ? `at least ${issue.minimum}` : `more than ${issue.minimum}`;
      return [{ path, text: `${label(path)}: expected a number ${bound}, got ${describeValue(got)}` }];
    }
    case "too_big": {
      const bound = issue.inclusive ? `at most ${issue.maximum}` : `less than ${issue.maximum}`;
      return [{ path, text: `${label(path)}: expected ${bound}, got ${describeValue(got)}` }];
    }
    case "invalid_format":
      return [{ path, text: `${label(path)}: expected a ${issue.format}, got ${describeValue(got)}` }];
    default:
      return [{ path, text: `${label(path)}: ${issue.message}` }];
  }
}

function label(path: ConfigPath): string {
  return path.length === 0 ? "the file" : formatPath(path);
}

type AnySchema = z.core.$ZodType;

/** The keys a mapping at this path may hold, read from the schema itself so they never drift. */
export function validKeysAt(path: ConfigPath): string[] {
  let schema: AnySchema | undefined = configSchema;
  for (const part of path) {
    schema = schema && childSchema(schema, part);
    if (!schema) return [];
  }
  const object = schema && findObject(schema);
  return object ? Object.keys(object._zod.def.shape) : [];
}

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: AnySchema };
    if ((def.type === "optional" || def.type === "nullable" || def.type === "default") && def.innerType) current = def.innerType;
    else return current;
  }
}

function findObject(schema: AnySchema): z.core.$ZodObject | undefined {
  const inner = unwrap(schema);
  const def = inner._zod.def as { type: string; options?: AnySchema[] };
  if (def.type === "object") return inner as z.core.$ZodObject;
  if (def.type === "union") for (const option of def.options ?? []) {
    const found = findObject(option);
    if (found) return found;
  }
  return undefined;
}

function childSchema(schema: AnySchema, part: string | number): AnySchema | undefined {
  const inner = unwrap(schema);
  const def = inner._zod.def as { type: string; element?: AnySchema; valueType?: AnySchema; options?: AnySchema[] };
  if (def.type === "array") return def.element;
  if (def.type === "record") return def.valueType;
  const object = findObject(inner);
  return object ? (object._zod.def.shape as Record<string, AnySchema>)[String(part)] : undefined;
}

/** The valid name closest to a misspelt one, when it is close enough to be the likely intent. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const distance = levenshtein(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Beyond about a third of the word, a suggestion is a guess rather than a correction.
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(word.length / 3)) ? best : undefined;
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
