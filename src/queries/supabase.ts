// supabase-js / postgrest-js builder chains -> access patterns.
// The walker in code-file.ts finds the chains and follows them across variables and branches;
// this module knows what each builder method means.
import type { AccessPattern, ColumnPredicate, OrderTerm, QueryKind, RelationName } from "../core/types.js";
import { METHOD_OPERATORS, POSTGREST_OPERATORS, isFilter } from "./send-modes.js";

type Node = Record<string, any>;

/** One builder method call: `.eq("a", x)`. */
export interface ChainStep {
  method: string;
  args: Node[];
  /** Added on some code paths only. */
  conditional: boolean;
}

/** An embedded relation of a select string: `agent:agent_profiles!inner(id, name)`. */
export interface Embed {
  /** The name written before the parentheses: a table, or an FK column / constraint used as one. */
  name: string;
  alias?: string;
  /** `!hint` naming the foreign key (constraint or column). */
  hint?: string;
  inner: boolean;
  children: Embed[];
}

/** A pattern on an embedded table, joined to its parent through a foreign key that the schema resolves. */
export interface EmbeddedPattern extends AccessPattern {
  /** The parent pattern's table (as named, and exactly) and the `!hint`, when one is written. */
  embeddedIn?: { table: string; relation: RelationName; hint?: string };
}

/** Reads static values: string constants, enum members, `as const` objects. */
export interface StaticValues {
  string(node: Node | undefined): string | undefined;
}

/** Splits on commas outside parentheses and quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let current = "";
  for (const ch of text) {
    if (ch === '"') quote = !quote;
    if (!quote && ch === "(") depth++;
    if (!quote && ch === ")") depth--;
    if (!quote && depth === 0 && ch === ",") {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

const AGGREGATES = new Set(["count", "sum", "avg", "min", "max"]);

/** The embedded relations of a PostgREST select string. */
export function parseSelectEmbeds(select: string): Embed[] {
  const embeds: Embed[] = [];
  for (const item of splitTopLevel(select.replace(/\s+/g, " "))) {
    const open = item.indexOf("(");
    if (open < 0 || !item.endsWith(")")) continue;
    let head = item.slice(0, open).trim();
    if (head.startsWith("...")) head = head.slice(3).trim();
    let alias: string | undefined;
    const colon = head.search(/:(?!:)/);
    if (colon > 0) {
      alias = head.slice(0, colon).trim();
      head = head.slice(colon + 1).trim();
    }
    const [name, ...marks] = head.split("!").map((s) => s.trim().replace(/^"|"$/g, ""));
    // `count()`, `amount.sum()`: aggregates, not relations.
    if (!name || name.includes(".") || (AGGREGATES.has(name) && item.slice(open) === "()")) continue;
    const inner = marks.includes("inner");
    const hint = marks.find((m) => m !== "inner" && m !== "left");
    const embed: Embed = { name, inner, children: parseSelectEmbeds(item.slice(open + 1, -1)) };
    if (alias) embed.alias = alias;
    if (hint) embed.hint = hint;
    embeds.push(embed);
  }
  return embeds;
}

/** A JS literal as SQL literal text, or undefined when it is not a literal. */
function literalText(node: Node | undefined, values: StaticValues): string | undefined {
  if (!node) return undefined;
  if (node.type === "Literal") {
    if (node.value === null) return "NULL";
    if (typeof node.value === "boolean" || typeof node.value === "number") return String(node.value);
  }
  const text = values.string(node);
  return text === undefined ? undefined : `'${text.replace(/'/g, "''")}'`;
}

export interface BuildInput {
  /** The table as the code names it (`Visit`, `app.Visit`), for messages. */
  table: string;
  /**
   * The exact name PostgREST looks up: `.from()`'s argument as written, in `.schema()`'s schema.
   * PostgREST quotes every identifier it sends, so no folding applies. Defaults to `table` unqualified.
   */
  relation?: RelationName;
  steps: ChainStep[];
  values: StaticValues;
  base: Omit<AccessPattern, "table" | "relation" | "kind" | "predicates" | "hasOr" | "orderBy" | "limited" | "joins">;
}

/** The patterns one builder chain makes: the main table, plus one per embedded relation. */
export function patternsFromChain(input: BuildInput): EmbeddedPattern[] {
  const { table, steps, values, base } = input;
  const relation = input.relation ?? { name: table };
  const main: EmbeddedPattern = { ...base, table, relation, kind: "select", predicates: [], hasOr: false, orderBy: [], limited: false, joins: [] };
  let kindSet = false;
  // Embedded tables by the name filters use for them (alias or relation name).
  const embedded = new Map<string, EmbeddedPattern>();
  const allEmbedded: EmbeddedPattern[] = [];

  const addEmbeds = (parent: EmbeddedPattern, embeds: Embed[]) => {
    for (const embed of embeds) {
      parent.joins.push({ table: embed.name, columns: [] });
      const child: EmbeddedPattern = {
        ...base,
        table: embed.name,
        // PostgREST embeds relations of the parent's schema, by their exact names.
        relation: relation.schema ? { schema: relation.schema, name: embed.name } : { name: embed.name },
        kind: "select",
        predicates: [],
        hasOr: false,
        orderBy: [],
        limited: false,
        joins: [],
        embeddedIn: { table: parent.table, relation: parent.relation ?? { name: parent.table }, ...(embed.hint ? { hint: embed.hint } : {}) },
      };
      embedded.set(embed.alias ?? embed.name, child);
      if (embed.alias) embedded.set(embed.name, child);
      allEmbedded.push(child);
      addEmbeds(child, embed.children);
    }
  };

  /** `rel.col` filters apply to the embedded table; a referencedTable option names it too. */
  const targetOf = (column: string, referenced?: string): { pattern: EmbeddedPattern; column: string } | undefined => {
    if (referenced) {
      const pattern = embedded.get(referenced);
      return pattern ? { pattern, column } : undefined;
    }
    const dot = column.lastIndexOf(".");
    if (dot > 0) {
      const pattern = embedded.get(column.slice(0, dot));
      return pattern ? { pattern, column: column.slice(dot + 1) } : undefined;
    }
    // JSON paths and casts are not plain columns.
    if (/->|::|\s/.test(column)) return undefined;
    return { pattern: main, column };
  };

  const optionString = (opts: Node | undefined, ...keys: string[]): string | undefined => {
    if (opts?.type !== "ObjectExpression") return undefined;
    for (const prop of opts.properties ?? []) {
      const key = prop.key?.name ?? prop.key?.value;
      if (keys.includes(key)) return values.string(prop.value);
    }
    return undefined;
  };
  const optionBool = (opts: Node | undefined, key: string): boolean | undefined => {
    if (opts?.type !== "ObjectExpression") return undefined;
    for (const prop of opts.properties ?? []) {
      if ((prop.key?.name ?? prop.key?.value) === key && prop.value?.type === "Literal" && typeof prop.value.value === "boolean") {
        return prop.value.value;
      }
    }
    return undefined;
  };

  const push = (column: string | undefined, predicate: Omit<ColumnPredicate, "column">, step: ChainStep, referenced?: string) => {
    if (column === undefined) return;
    const target = targetOf(column, referenced);
    if (!target) return;
    const full: ColumnPredicate = { column: target.column, ...predicate };
    if (step.conditional) full.conditional = true;
    target.pattern.predicates.push(full);
  };

  const setKind = (kind: QueryKind) => {
    main.kind = kind;
    kindSet = true;
  };

  for (const step of steps) {
    const [a0, a1, a2] = step.args;
    switch (step.method) {
      case "select": {
        if (!kindSet) main.kind = "select";
        const text = a0 ? values.string(a0) : "*";
        if (text) addEmbeds(main, parseSelectEmbeds(text));
        // `{ head: true }` asks for the count only: no rows come back.
        if (optionBool(a1, "head") === true && !step.conditional) main.limited = true;
        break;
      }
      case "insert":
        setKind("insert");
        break;
      case "update":
        setKind("update");
        break;
      case "delete":
        setKind("delete");
        break;
      case "upsert": {
        setKind("upsert");
        // The conflict target is looked up per row, through the unique index that arbitrates.
        const onConflict = optionString(a1, "onConflict");
        for (const column of onConflict?.split(",").map((c) => c.trim()).filter(Boolean) ?? []) {
          push(column, { op: "eq", sentAs: "param" }, step);
        }
        break;
      }
      case "is": {
        const value = a1?.type === "Literal" ? (a1.value === "null" ? null : a1.value) : undefined;
        if (value === null || value === true || value === false) push(values.string(a0), isFilter(value, false), step);
        break;
      }
      case "not": {
        const op = values.string(a1);
        if (!op) break;
        if (op === "is") {
          const raw = a2?.type === "Literal" ? a2.value : undefined;
          const value = raw === "null" ? null : raw;
          if (value === null || value === true || value === false) push(values.string(a0), isFilter(value, true), step);
        } else if (op === "eq") {
          push(values.string(a0), { op: "neq", sentAs: "param" }, step);
        } else if (POSTGREST_OPERATORS[op]) {
          push(values.string(a0), { op: "other", sentAs: POSTGREST_OPERATORS[op].sentAs }, step);
        }
        break;
      }
      case "filter": {
        const op = values.string(a1);
        if (!op) break;
        if (op === "is") {
          const raw = values.string(a2) ?? (a2?.type === "Literal" ? a2.value : undefined);
          const value = raw === "null" || raw === null ? null : raw === "true" ? true : raw === "false" ? false : raw === "not_null" ? "not_null" : undefined;
          if (value !== undefined) push(values.string(a0), isFilter(value as null | boolean | "not_null", false), step);
        } else if (op.startsWith("not.")) {
          push(values.string(a0), { op: "other", sentAs: op === "not.is" ? "literal" : "param" }, step);
        } else {
          const known = POSTGREST_OPERATORS[op];
          if (known) push(values.string(a0), operatorPredicate(known, op === "eq" ? literalText(a2, values) : undefined), step);
        }
        break;
      }
      case "match": {
        if (a0?.type !== "ObjectExpression") break;
        for (const prop of a0.properties ?? []) {
          const key = prop.key?.name ?? prop.key?.value;
          if (typeof key !== "string" || prop.computed) continue;
          push(key, eqPredicate(literalText(prop.value, values)), step);
        }
        break;
      }
      case "or": {
        const referenced = optionString(a1, "referencedTable", "foreignTable");
        const pattern = referenced ? embedded.get(referenced) : main;
        if (pattern) pattern.hasOr = true;
        break;
      }
      case "order": {
        const column = values.string(a0);
        if (!column) break;
        const target = targetOf(column, optionString(a1, "referencedTable", "foreignTable"));
        if (!target) break;
        const ascending = optionBool(a1, "ascending");
        const nullsFirst = optionBool(a1, "nullsFirst");
        const term: OrderTerm = { column: target.column, descending: ascending === false, nullsFirst: nullsFirst ?? null };
        target.pattern.orderBy.push(term);
        break;
      }
      case "limit":
      case "range": {
        const referenced = optionString(step.method === "limit" ? a1 : a2, "referencedTable", "foreignTable");
        const pattern = referenced ? embedded.get(referenced) : main;
        // A limit added on some paths only leaves the query unbounded on the others.
        if (pattern && !step.conditional) pattern.limited = true;
        break;
      }
      case "single":
      case "maybeSingle":
        if (!step.conditional) main.limited = true;
        break;
      default: {
        const operatorName = METHOD_OPERATORS[step.method];
        if (!operatorName) break;
        const known = POSTGREST_OPERATORS[operatorName];
        const value = step.method === "eq" || ["gt", "gte", "lt", "lte"].includes(step.method) ? literalText(a1, values) : undefined;
        push(values.string(a0), operatorPredicate(known, value), step);
      }
    }
  }
  return [main, ...allEmbedded];
}

function eqPredicate(value: string | undefined): Omit<ColumnPredicate, "column"> {
  // Every eq value is a bound parameter in PostgREST; the value is kept for messages.
  if (value === "true" || value === "false") return { op: "bool", value, sentAs: "param" };
  const predicate: Omit<ColumnPredicate, "column"> = { op: "eq", sentAs: "param" };
  if (value !== undefined && value !== "NULL") predicate.value = value;
  return predicate;
}

function operatorPredicate(known: { op: ColumnPredicate["op"]; sentAs: ColumnPredicate["sentAs"]; operator?: ColumnPredicate["operator"]; caseInsensitive?: boolean }, value: string | undefined): Omit<ColumnPredicate, "column"> {
  if (known.op === "eq") return eqPredicate(value);
  const predicate: Omit<ColumnPredicate, "column"> = { op: known.op, sentAs: known.sentAs };
  if (known.operator) predicate.operator = known.operator;
  if (known.caseInsensitive) predicate.caseInsensitive = true;
  if (known.op === "range" && value !== undefined && value !== "NULL") predicate.value = value;
  return predicate;
}
