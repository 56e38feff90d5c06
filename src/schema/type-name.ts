// Column types as PostgreSQL's format_type() prints them (`integer`, `character varying(255)`,
// `timestamp with time zone`), built from the parser's TypeName node without deparsing.

const BUILTIN_NAMES: Record<string, string> = {
  int2: "smallint",
  int4: "integer",
  int8: "bigint",
  float4: "real",
  float8: "double precision",
  bool: "boolean",
  varchar: "character varying",
  bpchar: "character",
  varbit: "bit varying",
  numeric: "numeric",
  bit: "bit",
  interval: "interval",
  // serial types are integers with a sequence default.
  serial: "integer",
  serial4: "integer",
  bigserial: "bigint",
  serial8: "bigint",
  smallserial: "smallint",
  serial2: "smallint",
  // spellings the grammar does not rewrite when written without pg_catalog.
  int: "integer",
  integer: "integer",
  smallint: "smallint",
  bigint: "bigint",
  real: "real",
  boolean: "boolean",
  decimal: "numeric",
};

const SERIAL_TYPES = new Set(["serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"]);

const TIME_TYPES: Record<string, [string, string]> = {
  timestamp: ["timestamp", " without time zone"],
  timestamptz: ["timestamp", " with time zone"],
  time: ["time", " without time zone"],
  timetz: ["time", " with time zone"],
};

// Interval field masks (datetime.h INTERVAL_MASK bits) as the grammar encodes them.
const INTERVAL_FIELDS: Record<number, string> = {
  4: " year",
  2: " month",
  8: " day",
  1024: " hour",
  2048: " minute",
  4096: " second",
  6: " year to month",
  1032: " day to hour",
  3080: " day to minute",
  7176: " day to second",
  3072: " hour to minute",
  7168: " hour to second",
  6144: " minute to second",
};
const INTERVAL_FULL_RANGE = 0x7fff;

function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function typmodValues(typeName: any): string[] {
  return (typeName.typmods ?? []).map((mod: any) => {
    const constant = mod?.A_Const;
    if (constant?.ival !== undefined) return String(constant.ival.ival ?? 0);
    if (constant?.sval !== undefined) return String(constant.sval.sval ?? "");
    if (constant?.fval !== undefined) return String(constant.fval.fval ?? "");
    const column = mod?.ColumnRef?.fields?.map((f: any) => f.String?.sval).join(".");
    return column ?? "?";
  });
}

/** Names of the type as written: [schema?, name]. */
function typeNameParts(typeName: any): { schema: string | null; name: string } {
  const names: string[] = (typeName?.names ?? []).map((n: any) => n?.String?.sval ?? "");
  const name = names[names.length - 1] ?? "unknown";
  const schema = names.length > 1 ? names[names.length - 2] : null;
  return { schema, name };
}

/** True for serial, bigserial and smallserial: NOT NULL with an owned sequence. */
export function isSerialType(typeName: any): boolean {
  const { schema, name } = typeNameParts(typeName);
  return schema === null && SERIAL_TYPES.has(name) && !(typeName?.arrayBounds?.length > 0);
}

/** The type's text as format_type() gives it. */
export function formatTypeName(typeName: any): string {
  const { schema, name } = typeNameParts(typeName);
  const builtin = schema === null || schema === "pg_catalog";
  const mods = typmodValues(typeName);
  let text: string;
  if (builtin && TIME_TYPES[name]) {
    const [base, zone] = TIME_TYPES[name];
    text = base + (mods.length > 0 ? `(${mods[0]})` : "") + zone;
  } else if (builtin && name === "interval") {
    const mask = mods.length > 0 ? Number(mods[0]) : INTERVAL_FULL_RANGE;
    text = "interval" + (INTERVAL_FIELDS[mask] ?? "") + (mods.length > 1 ? `(${mods[1]})` : "");
  } else if (builtin && name === "numeric" && mods.length === 1) {
    text = `numeric(${mods[0]},0)`;
  } else if (schema === null && name === "char") {
    // Only the quoted spelling reaches here (unquoted char is bpchar): the one-byte internal type.
    text = '"char"';
  } else if (builtin && BUILTIN_NAMES[name]) {
    text = BUILTIN_NAMES[name] + (mods.length > 0 ? `(${mods.join(",")})` : "");
  } else {
    const qualified = schema !== null && schema !== "pg_catalog" && schema !== "public";
    text = (qualified ? `${quoteIdentifier(schema)}.` : "") + quoteIdentifier(name);
    if (mods.length > 0) text += `(${mods.join(",")})`;
  }
  if (typeName?.arrayBounds?.length > 0) text += "[]";
  return text;
}
