import { beforeAll, describe, expect, it } from "vitest";
import { parseSql } from "../../src/sql/parser.js";
import { formatTypeName, isSerialType } from "../../src/schema/type-name.js";
import { initParser } from "./helpers.js";

beforeAll(async () => {
  await initParser();
});

function typeOf(sql: string) {
  const outcome = parseSql(`create table t (c ${sql})`);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.statements[0].ast.CreateStmt.tableElts[0].ColumnDef.typeName;
}

describe("formatTypeName", () => {
  it.each([
    ["int", "integer"],
    ["int8", "bigint"],
    ["smallint", "smallint"],
    ["serial", "integer"],
    ["bigserial", "bigint"],
    ["varchar(255)", "character varying(255)"],
    ["character varying", "character varying"],
    ["char(2)", "character(2)"],
    ["timestamptz", "timestamp with time zone"],
    ["timestamp(3)", "timestamp(3) without time zone"],
    ["time with time zone", "time with time zone"],
    ["numeric(10, 2)", "numeric(10,2)"],
    ["numeric(7)", "numeric(7,0)"],
    ["double precision", "double precision"],
    ["float4", "real"],
    ["bool", "boolean"],
    ["interval day to second", "interval day to second"],
    ["uuid", "uuid"],
    ["jsonb", "jsonb"],
    ["text[]", "text[]"],
    ["int[][]", "integer[]"],
    ["public.mood", "mood"],
    ["extensions.citext", "extensions.citext"],
    ['"MyType"', '"MyType"'],
  ])("%s prints as %s", (written, printed) => {
    expect(formatTypeName(typeOf(written))).toBe(printed);
  });

  it("knows which types are serial", () => {
    expect(isSerialType(typeOf("bigserial"))).toBe(true);
    expect(isSerialType(typeOf("bigint"))).toBe(false);
  });
});
