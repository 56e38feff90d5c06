// An index key under its own collation or a non-default operator class serves only clauses of that
// collation or class (PostgreSQL indxpath.c, IndexCollMatchesExprColl): it does not make a plain index on
// the same column redundant, so the query still gets one. A key written with its type's default class
// (`text_ops`) is the plain key; text_pattern_ops holds `=` as well (PostgreSQL docs, "Operator Classes
// and Operator Families").
import { beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { resolveConfig } from "../../src/core/config.js";
import { queryIndex } from "../../src/rules/query-index.js";
import { initParser } from "../../src/sql/parser.js";
import { eq, pattern, schemaFrom } from "../advisor/support/schema.js";

beforeAll(async () => {
  await initParser();
});

function findingsOn(sql: string) {
  return queryIndex.check({
    set: { name: "migrations", framework: "plain", root: "migrations", files: [] },
    statements: [],
    schema: schemaFrom(sql),
    patterns: [pattern("products", [eq("sku", "$1")])],
    problems: [],
    config: resolveConfig(configSchema.parse({})),
  });
}

const TABLE = "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL);";

describe("query-index: collation and operator class are part of an index key", () => {
  it('an index on (sku COLLATE "C") leaves sku = $1 unserved: recommend (sku)', () => {
    const [finding] = findingsOn(`${TABLE}\nCREATE INDEX products_sku_c ON products (sku COLLATE "C");`);
    expect(finding?.columns).toEqual(["sku"]);
    expect(finding?.fix?.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_products_sku ON products (sku);");
  });

  it("an index on (sku text_pattern_ops) serves sku = $1 (its operator family holds =): no finding", () => {
    expect(findingsOn(`${TABLE}\nCREATE INDEX products_sku_pattern ON products (sku text_pattern_ops);`)).toEqual([]);
  });

  it("an index on (sku text_ops) is the plain index: no finding", () => {
    expect(findingsOn(`${TABLE}\nCREATE INDEX products_sku ON products (sku text_ops);`)).toEqual([]);
  });
});
