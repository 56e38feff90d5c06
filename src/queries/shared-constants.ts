// String constants other files can import: `export const CALL_LOGS = "call_logs"`, `export enum Tables
// { Calls = "call_logs" }`, `export const TABLES = { calls: "call_logs" } as const`. Read with a light
// scan of the text (no parse), so that a table name imported from a constants module still resolves.

export interface SharedConstants {
  strings: Map<string, string | null>;
  objects: Map<string, Map<string, string> | null>;
}

export function emptyConstants(): SharedConstants {
  return { strings: new Map(), objects: new Map() };
}

const EXPORTED_STRING = /export\s+const\s+([A-Za-z_$][\w$]*)\s*(?::\s*[\w.<>[\]\s|"']+)?=\s*(["'`])([^"'`$\\\n]*)\2/g;
const EXPORTED_OBJECT = /export\s+const\s+([A-Za-z_$][\w$]*)\s*=\s*\{([^{}]*)\}/g;
const EXPORTED_ENUM = /export\s+(?:declare\s+)?(?:const\s+)?enum\s+([A-Za-z_$][\w$]*)\s*\{([^{}]*)\}/g;
const OBJECT_MEMBER = /([A-Za-z_$][\w$]*|"[^"]+"|'[^']+')\s*:\s*(["'`])([^"'`$\\\n]*)\2/g;
const ENUM_MEMBER = /([A-Za-z_$][\w$]*)\s*=\s*(["'`])([^"'`$\\\n]*)\2/g;

/** Adds one file's exported constants; a name exported with two different values is dropped. */
export function collectSharedConstants(text: string, into: SharedConstants): void {
  if (!text.includes("export")) return;
  eachMatch(EXPORTED_STRING, text, (m) => bind(into.strings, m[1], m[3]));
  eachMatch(EXPORTED_OBJECT, text, (m) => bindObject(into, m[1], members(m[2], OBJECT_MEMBER)));
  eachMatch(EXPORTED_ENUM, text, (m) => bindObject(into, m[1], members(m[2], ENUM_MEMBER)));
}

/** Every match of a global expression, in order: exec on the expression itself, where matchAll copies it per call (per file). */
function eachMatch(pattern: RegExp, text: string, found: (match: RegExpExecArray) => void): void {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) found(m);
}

function members(body: string, pattern: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  eachMatch(pattern, body, (m) => out.set(m[1].replace(/^["']|["']$/g, ""), m[3]));
  return out;
}

function bind(map: Map<string, string | null>, name: string, value: string): void {
  const previous = map.get(name);
  map.set(name, previous === undefined || previous === value ? value : null);
}

function bindObject(into: SharedConstants, name: string, value: Map<string, string>): void {
  if (value.size === 0) return;
  const previous = into.objects.get(name);
  const same = previous && previous.size === value.size && [...value].every(([k, v]) => previous.get(k) === v);
  into.objects.set(name, previous === undefined || same ? value : null);
}
