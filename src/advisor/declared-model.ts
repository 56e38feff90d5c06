// Lookups in a declared schema (schema.prisma models, Drizzle tables) shared by the fixes written in its form.
import type { DeclaredModel, DeclaredSchema, Schema } from "../core/types.js";

/** A name as a fix's SQL writes it: always double-quoted, as the ORM's tools write them. */
export function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table as a fix's SQL writes it: bare in `public`, schema-qualified elsewhere. */
export function tableSql(schema: string, table: string): string {
  return schema === "public" ? quote(table) : `${quote(schema)}.${quote(table)}`;
}

/** The declared model of a table, and the declaration it belongs to; null when no ORM declares it. */
export function findModel(schema: Schema, tableSchema: string, table: string): { declared: DeclaredSchema; model: DeclaredModel } | null {
  for (const declared of schema.declared ?? []) {
    const model = declared.models.find((m) => m.schema === tableSchema && m.table === table);
    if (model) return { declared, model };
  }
  return null;
}

/** The line after the model's last member: where a new block attribute or index entry goes. */
export function insertionLine(model: DeclaredModel): number {
  if (model.insertLine !== undefined) return model.insertLine;
  const lines = [model.location.line, ...model.fields.map((f) => f.location.line), ...model.indexes.map((i) => i.location.line), ...model.relations.map((r) => r.location.line)];
  return Math.max(...lines) + 1;
}

/** The field (Prisma) or key (Drizzle) that maps to a column. */
export function fieldOf(model: DeclaredModel, column: string): string | undefined {
  return model.fields.find((f) => f.column === column)?.field;
}

/** `posts_author_id_idx` -> `postsAuthorIdIdx`, a key for the object form of Drizzle's extra config. */
export function camel(name: string): string {
  const out = name.replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : ""));
  return /^[A-Za-z_]/.test(out) ? out : `i${out}`;
}

/** The name a new Drizzle extra-config entry calls the table by: the callback's own parameter, or `t` in a new one. */
export function drizzleTableParam(model: DeclaredModel): string {
  return model.configParam ?? "t";
}

/**
 * Where a new Drizzle extra-config entry goes, as a declared fix's line, action and text: `item` (the entry with
 * its trailing comma, as an array element or an object property) on a line of its own before the config's first
 * entry; inside the config's line when the config is written on one line; or, for a table with no config, a new
 * `(t) => [entry]` callback written after its columns object. Undefined `line` means insertionLine(model).
 * `notes` says what the text cannot: a config callback to add by hand, and which of `uses` (`index`, `sql`,
 * `primaryKey`) the file does not import yet.
 */
export function drizzleEntryPlacement(model: DeclaredModel, item: string, entry: string, uses: string[]): { line?: number; action: "add" | "replace"; text: string; inserted?: string; notes: string[] } {
  const splice = (slot: { line: number; text: string; column: number }, inserted: string) => `${slot.text.slice(0, slot.column)}${inserted}${slot.text.slice(slot.column)}`;
  const missing = model.imports ? uses.filter((n) => !model.imports!.includes(n)) : [];
  const imports = missing.length
    ? [`Import ${missing.map((n) => `\`${n}\` from ${n === "sql" ? "drizzle-orm" : "drizzle-orm/pg-core"}`).join(" and ")}: the file does not import ${missing.length > 1 ? "them" : "it"} yet.`]
    : [];
  if (model.extraConfig && model.inlineConfig) return { line: model.inlineConfig.line, action: "replace", text: splice(model.inlineConfig, `${item} `), inserted: `${item} `, notes: imports };
  if (!model.extraConfig && model.configSlot) return { line: model.configSlot.line, action: "replace", text: splice(model.configSlot, `, (t) => [${entry}]`), inserted: `, (t) => [${entry}]`, notes: imports };
  const noConfig = model.extraConfig ? [] : [`${model.name} has no extra-config callback yet: add one as the third argument of its table call, \`(t) => [${entry}]\`.`];
  return { action: "add", text: item, notes: [...noConfig, ...imports] };
}
