// The names PostgreSQL gives objects the migration did not name: later migrations drop and
// rename them by these names, so they must match what the server would have chosen.
// Mirrors makeObjectName, ChooseRelationName, ChooseIndexName, ChooseIndexNameAddition,
// ChooseIndexColumnNames (commands/indexcmds.c), ChooseConstraintName (catalog/pg_constraint.c)
// and FigureColnameInternal (parser/parse_target.c).

/** NAMEDATALEN - 1: the longest identifier PostgreSQL keeps, in bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

const encoder = new TextEncoder();

/** The UTF-8 length of `text`, in bytes (a lone surrogate counts 3, written as U+FFFD). */
export function byteLength(text: string): number {
  // A plain loop, not a regex: this runs several times for every name replay chooses, on short strings.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).length;
  }
  return text.length;
}

/** The longest prefix of `text` that fits in `maxBytes` UTF-8 bytes without splitting a character. */
export function clipBytes(text: string, maxBytes: number): string {
  const length = byteLength(text);
  if (length <= maxBytes) return text;
  // ASCII: one byte a character.
  if (length === text.length) return text.slice(0, Math.max(0, maxBytes));
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = byteLength(ch);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** Truncates an identifier the way the parser does (63 bytes). */
export function truncateIdentifier(name: string): string {
  return clipBytes(name, MAX_IDENTIFIER_BYTES);
}

/**
 * `name1_name2_label`, shortened to fit 63 bytes by trimming the longer of name1 and name2
 * one byte at a time; the label is never trimmed.
 */
export function makeObjectName(name1: string, name2: string | null, label: string | null): string {
  const name1Full = byteLength(name1);
  const name2Full = name2 === null ? 0 : byteLength(name2);
  let name1Bytes = name1Full;
  let name2Bytes = name2Full;
  let overhead = name2 === null ? 0 : 1;
  if (label !== null) overhead += byteLength(label) + 1;
  const available = MAX_IDENTIFIER_BYTES - overhead;
  while (name1Bytes + name2Bytes > available) {
    if (name1Bytes > name2Bytes) name1Bytes--;
    else name2Bytes--;
  }
  // Most names fit whole: clip only a part that was shortened (clipBytes would measure it again).
  let name = name1Bytes === name1Full ? name1 : clipBytes(name1, name1Bytes);
  if (name2 !== null) name += "_" + (name2Bytes === name2Full ? name2 : clipBytes(name2, name2Bytes));
  if (label !== null) name += "_" + label;
  return name;
}

/** Column names joined by `_`, stopping once 63 bytes are reached (the rest could never show). */
export function nameAddition(columnNames: readonly string[]): string {
  let addition = "";
  for (const name of columnNames) {
    if (addition.length > 0) addition += "_";
    addition += truncateIdentifier(name);
    if (byteLength(addition) >= MAX_IDENTIFIER_BYTES + 1) break;
  }
  return addition;
}

/**
 * Tries `label`, then `label1`, `label2`, ... until `taken` says the name is free.
 * This is the loop shared by ChooseRelationName and ChooseConstraintName.
 */
export function chooseName(
  name1: string,
  name2: string | null,
  label: string,
  taken: (candidate: string) => boolean,
): string {
  let candidate = makeObjectName(name1, name2, label);
  for (let pass = 1; taken(candidate); pass++) {
    candidate = makeObjectName(name1, name2, `${label}${pass}`);
  }
  return candidate;
}

/**
 * Names of an index's columns (keys then INCLUDE), made unique the way the server does:
 * a repeated name gets 1, 2, ... appended. Expressions are named by figureIndexColumnName().
 */
export function chooseIndexColumnNames(preliminary: readonly string[]): string[] {
  const result: string[] = [];
  for (const original of preliminary) {
    let current = original;
    for (let i = 1; result.includes(current); i++) {
      const suffix = String(i);
      current = clipBytes(original, MAX_IDENTIFIER_BYTES - suffix.length) + suffix;
    }
    result.push(current);
  }
  return result;
}

export type IndexNameKind = "primary" | "exclusion" | "unique-constraint" | "plain";

const INDEX_LABELS: Record<IndexNameKind, string> = {
  primary: "pkey",
  exclusion: "excl",
  "unique-constraint": "key",
  plain: "idx",
};

/**
 * The name DefineIndex picks for an unnamed index. Constraint-backed indexes must be free in
 * both the relation namespace and the schema's constraint names; plain indexes only in the former.
 */
export function chooseIndexName(
  tableName: string,
  columnNames: readonly string[],
  kind: IndexNameKind,
  relationTaken: (name: string) => boolean,
  constraintTaken: (name: string) => boolean,
): string {
  const addition = kind === "primary" ? null : nameAddition(columnNames);
  const taken =
    kind === "plain" ? relationTaken : (name: string) => relationTaken(name) || constraintTaken(name);
  return chooseName(tableName, addition, INDEX_LABELS[kind], taken);
}

const stringValue = (node: any): string | undefined => node?.String?.sval;

/** SQL-standard functions the grammar turns into SQLValueFunction, by the name a column gets. */
const SQL_VALUE_FUNCTION_NAMES: Record<string, string> = {
  SVFOP_CURRENT_DATE: "current_date",
  SVFOP_CURRENT_TIME: "current_time",
  SVFOP_CURRENT_TIME_N: "current_time",
  SVFOP_CURRENT_TIMESTAMP: "current_timestamp",
  SVFOP_CURRENT_TIMESTAMP_N: "current_timestamp",
  SVFOP_LOCALTIME: "localtime",
  SVFOP_LOCALTIME_N: "localtime",
  SVFOP_LOCALTIMESTAMP: "localtimestamp",
  SVFOP_LOCALTIMESTAMP_N: "localtimestamp",
  SVFOP_CURRENT_ROLE: "current_role",
  SVFOP_CURRENT_USER: "current_user",
  SVFOP_USER: "user",
  SVFOP_SESSION_USER: "session_user",
  SVFOP_CURRENT_CATALOG: "current_catalog",
  SVFOP_CURRENT_SCHEMA: "current_schema",
};

/**
 * The name an expression gets as an index column (FigureIndexColname): a column reference gives
 * its name, a function call its function name, a cast its argument's name (or the type's),
 * anything else `expr`. Returns [name, strength] like FigureColnameInternal.
 */
function figureColname(node: any): [string | null, number] {
  if (!node || typeof node !== "object") return [null, 0];
  const [kind] = Object.keys(node);
  const value = node[kind];
  switch (kind) {
    case "ColumnRef": {
      const fieldNames = (value.fields ?? []).map(stringValue).filter((n: string | undefined) => n !== undefined);
      return fieldNames.length > 0 ? [fieldNames[fieldNames.length - 1], 2] : [null, 0];
    }
    case "A_Indirection": {
      // The last field name wins; subscripts and `*` are skipped.
      const fieldNames = (value.indirection ?? []).map(stringValue).filter((n: string | undefined) => n !== undefined);
      return fieldNames.length > 0 ? [fieldNames[fieldNames.length - 1], 2] : figureColname(value.arg);
    }
    case "FuncCall": {
      const name = stringValue(value.funcname?.[value.funcname.length - 1]);
      return name !== undefined ? [name, 2] : [null, 0];
    }
    case "A_Expr":
      return value.kind === "AEXPR_NULLIF" ? ["nullif", 2] : [null, 0];
    case "TypeCast": {
      const [name, strength] = figureColname(value.arg);
      if (strength <= 1) {
        const names: any[] = value.typeName?.names ?? [];
        const typeName = stringValue(names[names.length - 1]);
        if (typeName !== undefined) return [typeName, 1];
      }
      return [name, strength];
    }
    case "CollateClause":
      return figureColname(value.arg);
    case "GroupingFunc":
      return ["grouping", 2];
    case "MergeSupportFunc":
      return ["merge_action", 2];
    case "SubLink":
      if (value.subLinkType === "EXISTS_SUBLINK") return ["exists", 2];
      if (value.subLinkType === "ARRAY_SUBLINK") return ["array", 2];
      return [null, 0];
    case "CaseExpr":
      return ["case", 1];
    case "A_ArrayExpr":
      return ["array", 1];
    case "RowExpr":
      return ["row", 1];
    case "CoalesceExpr":
      return ["coalesce", 2];
    case "MinMaxExpr":
      return [value.op === "IS_LEAST" ? "least" : "greatest", 2];
    case "SQLValueFunction": {
      const name = SQL_VALUE_FUNCTION_NAMES[value.op as string];
      return name ? [name, 2] : [null, 0];
    }
    case "XmlExpr":
      switch (value.op) {
        case "IS_XMLCONCAT":
          return ["xmlconcat", 2];
        case "IS_XMLELEMENT":
          return ["xmlelement", 2];
        case "IS_XMLFOREST":
          return ["xmlforest", 2];
        case "IS_XMLPARSE":
          return ["xmlparse", 2];
        case "IS_XMLPI":
          return ["xmlpi", 2];
        case "IS_XMLROOT":
          return ["xmlroot", 2];
        case "IS_XMLSERIALIZE":
          return ["xmlserialize", 2];
        case "IS_DOCUMENT":
          return [null, 0];
        default:
          return [null, 0];
      }
    case "XmlSerialize":
      return ["xmlserialize", 2];
    case "JsonParseExpr":
      return ["json", 2];
    case "JsonScalarExpr":
      return ["json_scalar", 2];
    case "JsonSerializeExpr":
      return ["json_serialize", 2];
    case "JsonObjectConstructor":
      return ["json_object", 2];
    case "JsonArrayConstructor":
    case "JsonArrayQueryConstructor":
      return ["json_array", 2];
    case "JsonObjectAgg":
      return ["json_objectagg", 2];
    case "JsonArrayAgg":
      return ["json_arrayagg", 2];
    case "JsonFuncExpr":
      switch (value.op) {
        case "JSON_EXISTS_OP":
          return ["json_exists", 2];
        case "JSON_QUERY_OP":
          return ["json_query", 2];
        case "JSON_VALUE_OP":
          return ["json_value", 2];
        default:
          return [null, 0];
      }
    default:
      return [null, 0];
  }
}

/** The name a SELECT output column gets when it has no alias (FigureColname), `?column?` when nothing better is known. */
export function figureColumnName(expression: Record<string, any>): string {
  return figureColname(expression)[0] ?? "?column?";
}

/** The column name an index expression gets, `expr` when nothing better is known. */
export function figureIndexColumnName(expression: Record<string, any>): string {
  return figureColname(expression)[0] ?? "expr";
}
