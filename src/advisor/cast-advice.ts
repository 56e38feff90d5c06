// Advice for a comparison that casts an indexed column (`id::text = v`): compare the column itself and
// cast the value instead. The value's cast can fail where the original comparison could not: `'abc'::uuid`
// raises "invalid input syntax for type uuid", while `id::text = 'abc'` finds no row. So the plain form
// (`id = $1::uuid`) is given only for a value the caller is asked to know is well formed, and a guarded
// form that finds no row instead of raising is always given. Source: PostgreSQL documentation, "UUID
// Type" (text form: lowercase hexadecimal groups 8-4-4-4-12 is what uuid_out writes) and "System
// Information Functions" (pg_input_is_valid, PostgreSQL 16 and later).

/** The cast comparison being advised on. */
export interface CastComparison {
  /** The indexed column under the cast (`id`). */
  column: string;
  /** The column's type as the schema gives it (`uuid`, `bigint`). */
  type: string;
  /** The compared value's SQL text (`$1`, `storage.filename(p_name)`); absent when the reader did not keep it. */
  compared?: string;
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
  const plain = `${column} = ${castText(value, type)}`;
  if (ACCEPTS_ANY_TEXT.test(type)) return `Compare the column itself and cast the value instead (\`${plain}\`).`;
  const guarded = `${column} = ${guardedCast(value, type)}`;
  if (/^\$\d+$/.test(value)) {
    return `Compare the column itself and cast the value instead (\`${plain}\`) if the value is always a valid ${type}; if it may be other text, that cast raises an error where the original comparison finds no row, so write \`${guarded}\`.`;
  }
  return `Compare the column itself and guard the cast: \`${value}\` is not a bound parameter known to be a ${type}, and casting other text raises an error where the original comparison finds no row, so write \`${guarded}\`.`;
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
