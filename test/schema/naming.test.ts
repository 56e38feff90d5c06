// Generated names, checked against names PostgreSQL produced for the same input (see the DDL corpus).
import { beforeAll, describe, expect, it } from "vitest";
import { parseSql } from "../../src/sql/parser.js";
import {
  chooseIndexColumnNames,
  chooseIndexName,
  chooseName,
  clipBytes,
  figureIndexColumnName,
  makeObjectName,
  nameAddition,
} from "../../src/schema/naming.js";
import { initParser } from "./helpers.js";

beforeAll(async () => {
  await initParser();
});

const LONG_TABLE = "a_table_name_that_is_really_quite_long_for_postgres_identifier";

describe("makeObjectName", () => {
  it("joins the parts when they fit", () => {
    expect(makeObjectName("orders", null, "pkey")).toBe("orders_pkey");
    expect(makeObjectName("order_items", "product_id", "fkey")).toBe("order_items_product_id_fkey");
  });

  it("shortens the longer part first and never the label", () => {
    expect(makeObjectName(LONG_TABLE, "short", "key")).toBe("a_table_name_that_is_really_quite_long_for_postgres_i_short_key");
    expect(makeObjectName(LONG_TABLE, "a_column_name_that_is_also_long_enough_to_matter_here", "key")).toBe(
      "a_table_name_that_is_really_q_a_column_name_that_is_also_lo_key",
    );
    expect(makeObjectName(LONG_TABLE, null, "pkey")).toBe("a_table_name_that_is_really_quite_long_for_postgres_identi_pkey");
    expect(Buffer.byteLength(makeObjectName("x".repeat(200), "y".repeat(200), "idx"))).toBe(63);
  });

  it("counts bytes and never splits a multibyte character", () => {
    const name = makeObjectName("é".repeat(40), null, "pkey");
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name).toBe("é".repeat(29) + "_pkey");
    expect(clipBytes("aé", 2)).toBe("a");
  });
});

describe("choosing free names", () => {
  it("numbers the label until the name is free", () => {
    const taken = new Set(["t_a_key", "t_a_key1"]);
    expect(chooseName("t", "a", "key", (n) => taken.has(n))).toBe("t_a_key2");
  });

  it("checks constraint names only for constraint indexes", () => {
    const relations = new Set<string>();
    const constraints = new Set(["t_a_key"]);
    const relationTaken = (n: string) => relations.has(n);
    const constraintTaken = (n: string) => constraints.has(n);
    expect(chooseIndexName("t", ["a"], "unique-constraint", relationTaken, constraintTaken)).toBe("t_a_key1");
    expect(chooseIndexName("t", ["a"], "plain", relationTaken, constraintTaken)).toBe("t_a_idx");
    expect(chooseIndexName("t", ["a", "b"], "primary", relationTaken, constraintTaken)).toBe("t_pkey");
    expect(chooseIndexName("t", ["during"], "exclusion", relationTaken, constraintTaken)).toBe("t_during_excl");
  });

  it("makes index column names unique before joining them", () => {
    expect(chooseIndexColumnNames(["a", "a", "lower", "lower", "a"])).toEqual(["a", "a1", "lower", "lower1", "a2"]);
    expect(nameAddition(["a", "b", "c"])).toBe("a_b_c");
  });
});

describe("figureIndexColumnName", () => {
  const expressionOf = (sql: string) => {
    const outcome = parseSql(`create index on t (${sql})`);
    if (!outcome.ok) throw new Error(outcome.message);
    return outcome.statements[0].ast.IndexStmt.indexParams[0].IndexElem.expr;
  };

  it.each([
    ["lower(email)", "lower"],
    ["(a + b)", "expr"],
    ["(a::text)", "a"],
    ["(data ->> 'kind')", "expr"],
    ["coalesce(a, 0)", "coalesce"],
    ["(case when a > 0 then 1 end)", "case"],
    ["(((data #>> '{a}')::int))", "int4"],
    ["greatest(a, b)", "greatest"],
    ["nullif(a, b)", "nullif"],
    ["(current_date)", "current_date"],
    ["(1)", "expr"],
    ["public.my_fn(a)", "my_fn"],
  ])("%s is named %s", (expression, name) => {
    expect(figureIndexColumnName(expressionOf(expression))).toBe(name);
  });
});
