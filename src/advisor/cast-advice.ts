// Advice for a comparison that casts an indexed column (`id::text = v`): compare the column itself and
// cast the value instead. The value's cast can fail where the original comparison could not: `'abc'::uuid`
// raises "invalid input syntax for type uuid", while `id::text = 'abc'` finds no row. So the plain form
// (`id = $1::uuid`) is given only for a value the caller is asked to know is well formed, and a guarded
// form that finds no row instead of raising is always given. Source: PostgreSQL documentation, "UUID
// Type" (text form: lowercase hexadecimal groups 8-4-4-4-12 is what uuid_out writes) and "System
// Information Functions" (pg_input_is_valid, PostgreSQL 16 and later).
// A value that calls a VOLATILE function is no index key at all, cast or not: the planner evaluates it per
// row ("Function Volatility Categories"; indxpath.c accepts only a comparison value free of volatile
// functions). The advice then computes the value once, in an uncorrelated scalar subquery (an InitPlan the
// index scan reads as its key) or a variable of the function body.
import type { Location, Statement } from "../core/types.js";
import { ALWAYS_VOLATILE_FUNCTIONS } from "../queries/builtin-functions.js";
import { parseSql } from "../sql/parser.js";

/** A function's volatility as CREATE FUNCTION declares it (VOLATILE when no clause says otherwise). */
export type Volatility = "immutable" | "stable" | "volatile";

/** Functions the migrations create, by `schema.name` (overloads folded: VOLATILE if any overload is). */
export type DeclaredFunctions = ReadonlyMap<string, { volatility: Volatility; location: Location }>;

/** The cast comparison being advised on. */
export interface CastComparison {
  /** The indexed column under the cast (`id`). */
  column: string;
  /** The column's type as the schema gives it (`uuid`, `bigint`). */
  type: string;
  /** The compared value's SQL text (`$1`, `storage.filename(p_name)`); absent when the reader did not keep it. */
  compared?: string;
  /** The functions the migrations create (declaredFunctions); without it, only built-ins are known. */
  functions?: DeclaredFunctions;
}

function volatilityOption(options: Array<Record<string, any>> | undefined): Volatility | null {
  for (const option of options ?? []) {
    const element = option.DefElem;
    if (element?.defname === "volatility") return (element.arg?.String?.sval ?? "volatile") as Volatility;
  }
  return null;
}

function namesOf(list: Array<Record<string, any>> | undefined): string[] {
  return (list ?? []).map((item) => item.String?.sval ?? "").filter((name) => name !== "");
}

function functionKey(parts: string[]): string {
  return parts.length > 1 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : `public.${parts[0]}`;
}

/**
 * The functions the migrations create or alter, with the volatility they end with: CREATE [OR REPLACE]
 * FUNCTION without IMMUTABLE or STABLE is VOLATILE; ALTER FUNCTION ... IMMUTABLE | STABLE | VOLATILE changes it.
 */
export function declaredFunctions(statements: Statement[]): DeclaredFunctions {
  const byOverload = new Map<string, { key: string; volatility: Volatility; location: Location }>();
  for (const statement of statements) {
    const create = statement.ast.CreateFunctionStmt;
    const alter = statement.ast.AlterFunctionStmt;
    if (create && !create.is_procedure) {
      const key = functionKey(namesOf(create.funcname));
      const overload = `${key}(${JSON.stringify(create.parameters ?? [])})`;
      byOverload.set(overload, { key, volatility: volatilityOption(create.options) ?? "volatile", location: statement.location });
    } else if (alter) {
      const volatility = volatilityOption(alter.actions);
      const key = functionKey(namesOf(alter.func?.objname));
      if (!volatility) continue;
      for (const [overload, entry] of byOverload) if (entry.key === key) byOverload.set(overload, { ...entry, volatility, location: statement.location });
    }
  }
  const out = new Map<string, { volatility: Volatility; location: Location }>();
  for (const entry of byOverload.values()) {
    const known = out.get(entry.key);
    if (!known || (entry.volatility === "volatile" && known.volatility !== "volatile")) out.set(entry.key, { volatility: entry.volatility, location: entry.location });
  }
  return out;
}

/** A function the compared value calls whose result may change from row to row, and why the audit says so. */
export interface VolatileCall {
  /** The name as the value writes it (`storage.filename`). */
  name: string;
  why: string;
}

/**
 * The VOLATILE functions `value` (SQL text) calls: a function the migrations create without IMMUTABLE or
 * STABLE, a built-in every overload of which is VOLATILE, or a schema-qualified function these migrations do
 * not create (a platform's or another tool's; without a volatility clause a function is VOLATILE). Unqualified
 * names the migrations do not create are taken for built-ins or extension functions.
 */
export function volatileCalls(value: string, functions: DeclaredFunctions = new Map()): VolatileCall[] {
  const parsed = parseSql(`SELECT ${value}`);
  if (!parsed.ok || parsed.statements.length !== 1) return [];
  const out: VolatileCall[] = [];
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const call = (node as Record<string, any>).FuncCall;
    if (call) {
      const parts = namesOf(call.funcname);
      const name = parts.join(".");
      if (parts.length > 0 && !seen.has(name)) {
        seen.add(name);
        const why = volatility(parts, functions);
        if (why) out.push({ name, why });
      }
    }
    for (const child of Object.values(node)) visit(child);
  };
  visit(parsed.statements[0].ast);
  return out;
}

function volatility(parts: string[], functions: DeclaredFunctions): string | null {
  const declared = functions.get(functionKey(parts));
  if (declared) {
    return declared.volatility === "volatile"
      ? `is VOLATILE: ${declared.location.file}:${declared.location.line} declares it without IMMUTABLE or STABLE`
      : null;
  }
  const schema = parts.length > 1 ? parts[parts.length - 2] : null;
  const name = parts[parts.length - 1];
  if (schema === null || schema === "pg_catalog") return ALWAYS_VOLATILE_FUNCTIONS.has(name) ? "is VOLATILE (PostgreSQL's catalog)" : null;
  return "is not created by these migrations, and a function declared without IMMUTABLE or STABLE is VOLATILE (a PL/pgSQL or SQL function the platform or another tool defines usually is)";
}

/**
 * What `uuid::text` can produce (uuid_out: lowercase, hyphenated), so `v ~ UUID_TEXT` holds exactly for
 * the texts `id::text = v` can match: the guarded rewrite finds the same rows as the original.
 */
export const UUID_TEXT = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/** Column types whose input function accepts any text: casting the value to them cannot fail. */
const ACCEPTS_ANY_TEXT = /^(text|character varying|varchar|character|char|bpchar|citext|name)\b/i;

/**
 * The sentence that tells the reader how to rewrite the comparison, completing "... so the planner cannot
 * use it." Never suggests a cast that can raise without saying so and giving a form that cannot.
 */
export function castAdvice(comparison: CastComparison): string {
  const { column } = comparison;
  const type = comparison.type.trim();
  // Unknown: written as the bound parameter the client most often sends.
  const value = comparison.compared ?? "$1";
  const volatile = volatileCalls(value, comparison.functions);
  if (volatile.length > 0) return volatileAdvice(column, type, value, volatile);
  const plain = `${column} = ${castText(value, type)}`;
  if (ACCEPTS_ANY_TEXT.test(type)) return `Compare the column itself and cast the value instead (\`${plain}\`).`;
  const guarded = `${column} = ${guardedCast(value, type)}`;
  if (/^\$\d+$/.test(value)) {
    return `Compare the column itself and cast the value instead (\`${plain}\`) if the value is always a valid ${type}; if it may be other text, that cast raises an error where the original comparison finds no row, so write \`${guarded}\`.`;
  }
  return `Compare the column itself and guard the cast: \`${value}\` is not a bound parameter known to be a ${type}, and casting other text raises an error where the original comparison finds no row, so write \`${guarded}\`.`;
}

/**
 * Moving the cast is not enough when the value calls a VOLATILE function: the planner re-evaluates it for
 * every row, so no index scan can take it as its key. Computed once, in an uncorrelated scalar subquery (an
 * InitPlan) or a variable of the function body, it becomes one; so does an IMMUTABLE expression in its place.
 */
function volatileAdvice(column: string, type: string, value: string, calls: VolatileCall[]): string {
  const named = calls.map((c) => `\`${c.name}\` ${c.why}`).join("; ");
  const rewritten = ACCEPTS_ANY_TEXT.test(type) ? castText(value, type) : guardedCast(value, type);
  const once = `${column} = (SELECT ${rewritten})`;
  const guard = ACCEPTS_ANY_TEXT.test(type) ? "" : `, guarded because casting other text raises an error where the original comparison finds no row`;
  return (
    `Moving the cast to the value is not enough here: ${named}, so PostgreSQL evaluates \`${value}\` for every row and cannot use it as an index key, with the cast on either side. ` +
    `Compute the value once: in a PL/pgSQL body, into a variable (\`v := ${rewritten};\`, then \`${column} = v\`), or in the query as a scalar subquery, which PostgreSQL runs once before the scan${guard}, so write \`${once}\`. ` +
    `An IMMUTABLE expression in place of the call (or the function declared IMMUTABLE or STABLE, if it is) works as well.`
  );
}

/** `v::type`, parenthesised when `v` is more than a parameter, a name or a function call. */
function castText(value: string, type: string): string {
  const simple = /^(\$\d+|[A-Za-z_][\w.]*(\(.*\))?|"[^"]+")$/.test(value);
  return `${simple ? value : `(${value})`}::${type}`;
}

/** A cast that yields NULL, not an error, for text the type does not accept. */
function guardedCast(value: string, type: string): string {
  if (/^uuid$/i.test(type)) return `CASE WHEN ${value} ~ '${UUID_TEXT}' THEN ${castText(value, type)} END`;
  return `CASE WHEN pg_input_is_valid(${value}, '${type.replace(/'/g, "''")}') THEN ${castText(value, type)} END`;
}
