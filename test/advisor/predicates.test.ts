// Implication between a query's WHERE and a partial index's WHERE (predtest.c's rules), and bad input.
import { beforeAll, describe, expect, it } from "vitest";
import { matchIndex } from "../../src/advisor/match.js";
import { exprFromPredicate, exprFromWhereText, implies } from "../../src/advisor/predicates.js";
import { normalizeExpressionText } from "../../src/advisor/expression.js";
import type { ColumnPredicate, Index } from "../../src/core/types.js";
import { initParser } from "../../src/sql/parser.js";
import { pattern, tableFrom } from "./support/schema.js";

beforeAll(async () => {
  await initParser();
});

function query(...predicates: ColumnPredicate[]) {
  return { kind: "and" as const, items: predicates.map(exprFromPredicate) };
}

const lit = (column: string, op: ColumnPredicate["op"], value?: string, operator?: ColumnPredicate["operator"]): ColumnPredicate => ({
  column,
  op,
  value,
  operator,
  sentAs: "literal",
});

describe("what a query's WHERE proves", () => {
  it("equality to a literal proves IS NOT NULL, the same equality, and ranges containing it", () => {
    const q = query(lit("status", "eq", "'accepted'"), lit("score", "eq", "7"));
    expect(implies(q, exprFromWhereText("status IS NOT NULL"))).toBe(true);
    expect(implies(q, exprFromWhereText("status = 'accepted'::text"))).toBe(true);
    expect(implies(q, exprFromWhereText("status = 'pending'"))).toBe(false);
    expect(implies(q, exprFromWhereText("score > 5 AND score <= 7"))).toBe(true);
    expect(implies(q, exprFromWhereText("score <> 3"))).toBe(true);
    expect(implies(q, exprFromWhereText("score > 7"))).toBe(false);
  });

  it("a parameter proves only that the column is not null", () => {
    const q = query({ column: "status", op: "eq", value: "'accepted'", sentAs: "param" });
    expect(implies(q, exprFromWhereText("status IS NOT NULL"))).toBe(true);
    expect(implies(q, exprFromWhereText("status = 'accepted'"))).toBe(false);
  });

  it("reads flag, NOT flag and flag = true the planner's way", () => {
    expect(implies(query(lit("active", "bool", "true")), exprFromWhereText("active = true"))).toBe(true);
    expect(implies(query(lit("active", "bool", "true")), exprFromWhereText("active"))).toBe(true);
    expect(implies(query(lit("active", "bool", "false")), exprFromWhereText("NOT active"))).toBe(true);
    expect(implies(query(lit("active", "bool", "false")), exprFromWhereText("active = false"))).toBe(true);
    expect(implies(query(lit("active", "bool", "false")), exprFromWhereText("active"))).toBe(false);
    // IS TRUE is not strict; it is a different test.
    expect(implies(query(lit("active", "bool", "true")), exprFromWhereText("active IS TRUE"))).toBe(false);
  });

  it("needs every AND conjunct, and one OR arm", () => {
    const q = query(lit("a", "range", "10", ">"), lit("b", "is-null"));
    expect(implies(q, exprFromWhereText("a > 5 AND b IS NULL"))).toBe(true);
    expect(implies(q, exprFromWhereText("a > 5 AND c IS NULL"))).toBe(false);
    expect(implies(q, exprFromWhereText("c = 1 OR a >= 10"))).toBe(true);
    expect(implies(q, exprFromWhereText("a IN (1, 2)"))).toBe(false);
    expect(implies(query(lit("a", "eq", "2")), exprFromWhereText("a IN (1, 2)"))).toBe(true);
  });

  it("a strict expression proves its column is not null", () => {
    const q = query({ expression: "lower(email)", op: "eq", value: "'x'", sentAs: "literal" });
    expect(implies(q, exprFromWhereText("email IS NOT NULL"))).toBe(true);
    const c = query({ expression: "coalesce(email, '')", op: "eq", value: "'x'", sentAs: "literal" });
    expect(implies(c, exprFromWhereText("email IS NOT NULL"))).toBe(false);
  });
});

describe("bad input", () => {
  it("an unreadable expression or index WHERE is compared as text, never a crash", () => {
    expect(normalizeExpressionText("lower((email")).toBe("lower((email");
    expect(implies(query(lit("a", "eq", "1")), exprFromWhereText("a = = 1"))).toBe(false);
    const table = tableFrom("CREATE TABLE t (a int, b text);", "t");
    const broken: Index = {
      name: "ix_broken",
      keys: [{ expression: "nonsense((", descending: false, nullsFirst: false }],
      include: [],
      unique: false,
      method: "btree",
      where: "a = = 1",
      whereAst: null,
      constraint: null,
      location: table.location,
    };
    const m = matchIndex(table, broken, pattern("t", [lit("a", "eq", "1"), { expression: "((", op: "eq", value: "1", sentAs: "param" }]));
    expect(m.verdict).toBe("not-served");
  });

  it("a GIN index is not taken for a btree lookup, and says the operator is not modelled", () => {
    const table = tableFrom("CREATE TABLE t (a int, tags text[]); CREATE INDEX ix ON t USING gin (tags);", "t");
    const m = matchIndex(table, table.indexes[0], pattern("t", [{ column: "tags", op: "contains", sentAs: "param" }]));
    expect(m.verdict).toBe("not-served");
    expect(m.uncertain).toContain("gin");
  });
});
