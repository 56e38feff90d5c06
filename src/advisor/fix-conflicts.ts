// Two findings whose fixes replace the same migration statement with different SQL: applying one
// suggestion moves the line the other replaces, so the two must become one. Runs after every rule, on the
// finished findings; rules never see each other.
//
// - When one fix only puts settings before the statement, unchanged (`SET lock_timeout = '5s';` then the
//   statement as written), and the other rewrites the statement, the rewrite carries both: the settings
//   first, and again at the start of each later migration the rewrite asks for (a line
//   `-- ... later migration ...`), since a setting lasts one session at most. The settings-only finding
//   keeps no fix of its own and names the finding whose fix does both.
// - Otherwise the first finding (by severity, then rule order) keeps its fix; each later one keeps none and
//   says which fix to apply first, so no two suggestions replace one line.
// - Two fixes that drop the same index (two recommendations that each make it a left prefix of theirs): the
//   second DROP INDEX would fail once the first ran. The first finding keeps the drop (and its schema
//   declaration's replacement); each later one only adds its index, its declaration added beside the old.
// - Two schema edits that replace one declared line (Drizzle config entries, or a new config callback): the first
//   carries every entry of findings of its standing; the others keep their SQL and name it.
import type { DeclaredFix, Finding, Statement } from "../core/types.js";
import { severityRank } from "../core/findings.js";
import { parseFixStatements } from "./fix-parse.js";
import { parseSql, type ParsedStatement } from "../sql/parser.js";
import { compareText } from "./text-order.js";

/** The order in which findings claim a shared change: the most severe first, then by source location, then by id. */
function bySeverityThenSource(a: Finding, b: Finding): number {
  return severityRank(a.severity) - severityRank(b.severity) || compareText(a.location.file, b.location.file) || a.location.line - b.location.line || compareText(a.id, b.id);
}

/** One statement's SQL without its terminator and with runs of white space as one space, for comparison. */
function normalized(sql: string): string {
  return sql.trim().replace(/;\s*$/, "").replace(/\s+/g, " ");
}

/**
 * The settings a fix puts before the statement, when that is all it does: the fix's statements are one or
 * more SET / SET LOCAL (VariableSetStmt) followed by the statement exactly as the migration writes it.
 * Null for any other fix.
 */
function settingsOnly(fixSql: string, statement: Statement): string[] | null {
  const parsed = parseSql(fixSql);
  if (!parsed.ok || parsed.statements.length < 2) return null;
  const texts = parsed.statements.map((s) => fixSql.slice(s.start, s.end).trim());
  const last = texts[texts.length - 1];
  if (normalized(last) !== normalized(statement.sql)) return null;
  const before = parsed.statements.slice(0, -1);
  if (!before.every((s) => s.ast.VariableSetStmt !== undefined)) return null;
  return texts.slice(0, -1).map((t) => (t.endsWith(";") ? t : `${t};`));
}

/** The rewrite with the settings before it and after each line that opens a later migration. */
function withSettings(rewrite: string, settings: string[]): string {
  const lines = rewrite.split("\n");
  const out: string[] = [...settings];
  for (const line of lines) {
    out.push(line);
    if (/^\s*--.*\blater migration\b/i.test(line)) out.push(...settings);
  }
  return out.join("\n");
}

/**
 * Makes the fixes that replace one statement consistent, in place. `statementAt` finds the migration
 * statement at a file and 1-based line. Findings whose replacement SQL is identical, or that replace
 * different statements, are left as they are. Returns the findings it changed.
 */
export function reconcileReplacements(findings: Finding[], statementAt: (file: string, line: number) => Statement | undefined): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.fix?.placement !== "replace") continue;
    const at = f.fix.at ?? f.location;
    const key = `${f.set ?? ""}\u0000${at.file}\u0000${at.line}`;
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  const changed: Finding[] = [];
  for (const group of groups.values()) {
    if (group.length < 2 || new Set(group.map((f) => f.fix!.sql)).size < 2) continue;
    const at = group[0].fix!.at ?? group[0].location;
    const statement = statementAt(at.file, at.line);
    const ordered = [...group].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    const settings = new Map(ordered.map((f) => [f, statement ? settingsOnly(f.fix!.sql, statement) : null]));
    const rewrites = ordered.filter((f) => settings.get(f) === null);
    const wrappers = ordered.filter((f) => settings.get(f) !== null);
    if (rewrites.length === 1 && wrappers.length > 0) {
      const carrier = rewrites[0];
      const all = [...new Set(wrappers.flatMap((w) => settings.get(w)!))];
      carrier.fix = { ...carrier.fix!, sql: withSettings(carrier.fix!.sql, all) };
      carrier.message = `${carrier.message} Its fix also puts ${all.map((s) => `\`${s.replace(/;$/, "")}\``).join(" and ")} first, for the ${[...new Set(wrappers.map((w) => w.rule))].join(" and ")} finding on this statement (${wrappers.map((w) => w.id).join(", ")}).`;
      changed.push(carrier);
      for (const w of wrappers) {
        delete w.fix;
        const own = settings.get(w)!.map((x) => `\`${x.replace(/;$/, "")}\``).join(" and ");
        w.message = `${w.message} The fix of the ${carrier.rule} finding on this statement (${carrier.id}) rewrites it and puts ${own} first: apply that one, which does both.`;
        changed.push(w);
      }
      continue;
    }
    // No fix contains the others: the first keeps its fix, the rest refer to it.
    const [first, ...later] = ordered;
    for (const f of later) {
      if (f.fix!.sql === first.fix!.sql) continue;
      const own = f.fix!.sql;
      delete f.fix;
      f.message = `${f.message} The ${first.rule} finding on this statement (${first.id}) replaces it too: apply that fix first, then make this change to the statement it leaves.`;
      f.details = [f.details, `The change this finding asks for, as it would replace the original statement:\n${own}`].filter(Boolean).join("\n\n");
      changed.push(f);
    }
  }
  return changed;
}

/** The DROP INDEX statements of a fix: each statement's text and the dropped index's name as written. */
function droppedIndexes(sql: string, statements: ParsedStatement[] | null): Array<{ text: string; name: string }> {
  if (!statements) return [];
  const out: Array<{ text: string; name: string }> = [];
  for (const s of statements) {
    const drop = s.ast.DropStmt;
    if (drop?.removeType !== "OBJECT_INDEX" || (drop.objects ?? []).length !== 1) continue;
    const names: string[] = (drop.objects[0].List?.items ?? []).map((i: any) => i.String?.sval);
    out.push({ text: sql.slice(s.start, s.end).trim().replace(/;?$/, ";"), name: names.join(".") });
  }
  return out;
}

/**
 * Keeps each index's DROP INDEX in one fix, in place: when several findings' fixes drop the same index
 * (same table, same migration set), the first by severity and then source order keeps the drop, and the
 * later ones lose it (and a schema declaration that replaced the old index's line adds a line beside it
 * instead). Returns the findings it changed.
 */
export function reconcileDrops(findings: Finding[]): Finding[] {
  const owner = new Map<string, Finding>();
  const changed: Finding[] = [];
  const ordered = findings
    .filter((f) => f.fix && /\bDROP\s+INDEX\b/i.test(f.fix.sql))
    .sort(bySeverityThenSource);
  // Every fix parsed in one call to the parser: each is read before the loop changes it, and only its own.
  const parsed = parseFixStatements(ordered.map((f) => f.fix!.sql));
  for (const f of ordered) {
    const drops = droppedIndexes(f.fix!.sql, parsed.get(f.fix!.sql) ?? null);
    const taken = drops.filter((d) => owner.has(`${f.set ?? ""}\u0000${f.table}\u0000${d.name}`));
    for (const d of drops) if (!taken.includes(d)) owner.set(`${f.set ?? ""}\u0000${f.table}\u0000${d.name}`, f);
    if (taken.length === 0) continue;
    const kept = f.fix!.sql.split("\n").filter((line) => !taken.some((d) => line.trim() === d.text)).join("\n");
    // A fix that would be left with nothing, or whose drop is not a line of its own, keeps its SQL.
    if (!kept.trim() || kept === f.fix!.sql) continue;
    const first = owner.get(`${f.set ?? ""}\u0000${f.table}\u0000${taken[0].name}`)!;
    const declared = f.fix!.declared;
    const firstDeclared = first.fix?.declared;
    const sameLine = declared?.action === "replace" && firstDeclared?.action === "replace" && declared.file === firstDeclared.file && declared.line === firstDeclared.line;
    f.fix = { ...f.fix!, sql: kept, ...(declared && sameLine ? { declared: { ...declared, action: "add" as const } } : {}) };
    const names = taken.map((d) => d.name).join(", ");
    f.message = `${f.message} The fix of the ${first.rule} finding ${first.id} drops ${names} too; this one only adds its index, so the two can be applied in either order.`;
    changed.push(f);
  }
  return changed;
}

/** A new Drizzle extra-config callback, as a declared fix inserts it after the columns object: `, (t) => [entry]`. */
const NEW_CALLBACK = /^, \((\w+)\) => \[([^]*)\]$/;

/**
 * The line the declared fixes all insert into (each text is that line with its own `inserted` text spliced in at
 * one column), and the column; null when a fix has no `inserted`, or they do not agree on the line or the column.
 */
function sharedLine(fixes: DeclaredFix[]): { line: string; column: number } | null {
  let shared: { line: string; column: number } | null = null;
  for (const d of fixes) {
    const column = d.inserted ? d.text.indexOf(d.inserted) : -1;
    if (column < 0) return null;
    const line = d.text.slice(0, column) + d.text.slice(column + d.inserted!.length);
    if (shared && (shared.line !== line || shared.column !== column)) return null;
    shared = { line, column };
  }
  return shared;
}

/** The config entry a declared fix inserts, without its separators: `index("x").on(t.a)`. */
function insertedEntry(d: DeclaredFix): string {
  const callback = NEW_CALLBACK.exec(d.inserted ?? "");
  return callback ? callback[2] : (d.inserted ?? d.text).trim().replace(/,$/, "");
}

/**
 * The line with every fix's insertion: the entries of several new callbacks as one callback, or the items inserted
 * into an existing one-line config one after the other. Null when the insertions are of different kinds.
 */
function combinedLine(shared: { line: string; column: number }, fixes: DeclaredFix[]): string | null {
  const callbacks = fixes.map((d) => NEW_CALLBACK.exec(d.inserted!));
  let middle: string;
  if (callbacks.every((c) => c !== null)) {
    const entries = [...new Set(callbacks.map((c) => c![2]))];
    middle = `, (${callbacks[0]![1]}) => [\n  ${entries.join(",\n  ")},\n]`;
  } else if (callbacks.every((c) => c === null)) {
    middle = [...new Set(fixes.map((d) => d.inserted!))].join("");
  } else return null;
  return shared.line.slice(0, shared.column) + middle + shared.line.slice(shared.column);
}

/**
 * Keeps one schema edit per declared line, in place: when several findings' declared fixes replace the same line
 * (each adding an entry to a Drizzle table's one-line config, or a new config callback to the line closing its
 * columns), applying one would move the line the others replace. The first finding (by severity, then location)
 * gets one edit holding its entry and those of the other findings of its standing (NOTED ones are not bundled into
 * a ROUTINE or IMPORTANT edit); each other finding keeps its SQL and names the fix to apply first. Returns the
 * findings it changed.
 */
export function reconcileDeclaredLines(findings: Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const d = f.fix?.declared;
    if (d?.action !== "replace" || !d.text) continue;
    const key = `${f.set ?? ""}\u0000${d.file}\u0000${d.line}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const changed: Finding[] = [];
  for (const group of groups.values()) {
    if (new Set(group.map((f) => f.fix!.declared!.text)).size < 2) continue;
    const [first, ...later] = [...group].sort(bySeverityThenSource);
    const shared = sharedLine([first, ...later].map((f) => f.fix!.declared!));
    const bundled = shared ? later.filter((f) => (f.severity === "noted") === (first.severity === "noted")) : [];
    const d = first.fix!.declared!;
    const line = shared ? combinedLine(shared, [first, ...bundled].map((f) => f.fix!.declared!)) : null;
    if (line && bundled.length > 0) {
      const also = `This edit also declares the ${bundled.length > 1 ? "indexes" : "index"} of ${bundled.map((f) => `${f.rule} finding ${f.id}`).join(", ")}; drizzle-kit generate writes one statement for each.`;
      first.fix = { ...first.fix!, declared: { ...d, text: line, note: [also, d.note].filter(Boolean).join(" ") } };
      changed.push(first);
    }
    for (const f of later) {
      const own = f.fix!.declared!;
      const how =
        line && bundled.includes(f)
          ? "declares this index in the same edit"
          : `edits this line too; apply it first, then add \`${insertedEntry(own)}\` to the table's config it leaves`;
      f.fix = { ...f.fix!, declared: { ...own, text: "", note: [`The schema edit of ${first.rule} finding ${first.id} ${how}.`, own.note].filter(Boolean).join(" ") } };
      changed.push(f);
    }
  }
  return changed;
}
