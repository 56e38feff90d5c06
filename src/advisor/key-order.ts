// The order of a recommended key's equality columns: which column narrows the table most, as far as the
// schema tells without row counts (a unique column, a token, a foreign key with a size hint, a status).
import type { Table } from "../core/types.js";
import type { FewValued } from "./coverage.js";
import { keyTarget } from "./match.js";

const TOKEN_LIKE = /(^|_)(token|uuid|guid|nonce|secret|hash|digest|api_key|idempotency_key)$/;

/**
 * How selective an equality on `target` is, to order a key's equality columns (higher first): Infinity
 * for a column that alone finds the row (`id`, a token, a single-column unique index); -1 for a column
 * with few values (`fewValued`); the referenced table's row count for a foreign key with a size hint
 * (`rowsOf`); -0.5 for a state-like column (stateLike); 0 otherwise. `why` completes the key's reasons.
 */
export function selectivity(table: Table, target: string, fewValued: FewValued, rowsOf?: (schema: string, name: string) => number | undefined): { score: number; why?: string } {
  if (target === "id" || TOKEN_LIKE.test(target)) return { score: Number.POSITIVE_INFINITY, why: `${target} looks unique per row` };
  const uniqueAlone = table.indexes.some((i) => i.unique && i.where === null && i.keys.length === 1 && keyTarget(i.keys[0]) === target);
  if (uniqueAlone) return { score: Number.POSITIVE_INFINITY, why: `${target} is unique` };
  if (fewValued(table, target)) return { score: -1 };
  const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === target);
  const rows = fk && rowsOf?.(fk.references.schema, fk.references.table);
  if (fk && rows !== undefined) return { score: rows, why: `${target} points at ${fk.references.table} (~${rows.toLocaleString("en-US")} rows)` };
  // Without counts: a status, a type or an enum has few values, each covering a large share of the table;
  // it goes after a column that names one row or one parent.
  if (stateLike(table, target)) return { score: -0.5, why: `${target} holds one of a few states` };
  return { score: 0 };
}

/** Last words of column names that hold one of a few states or kinds: `status`, `invoice_type`, `itemKind`. */
const STATE_WORDS = new Set(["status", "state", "type", "kind", "role", "category", "level", "priority", "stage", "phase", "mode", "channel", "currency", "visibility", "tier"]);
/** Types that are PostgreSQL's own: anything else a column is declared with is an enum or a domain. */
const BUILTIN_TYPE = /^(text|varchar|character|char|bpchar|citext|name|uuid|int|integer|bigint|smallint|serial|bigserial|numeric|decimal|real|double|float|money|bool|boolean|date|time|timestamp|interval|json|jsonb|bytea|inet|cidr|macaddr|tsvector|oid|bit|xml|point|vector|halfvec)/i;

/** A column holding one of a few states: named so (STATE_WORDS), or of an enum (or domain) type. */
function stateLike(table: Table, target: string): boolean {
  if (target.startsWith("expr:")) return false;
  const words = target.split(/_|(?<=[a-z0-9])(?=[A-Z])/);
  if (STATE_WORDS.has(words[words.length - 1].toLowerCase())) return true;
  const type = table.columns.find((c) => c.name === target)?.type.trim();
  return !!type && !/\[\]$/.test(type) && !BUILTIN_TYPE.test(type.replace(/^(pg_catalog|public)\./, "").replace(/^"|"$/g, ""));
}
