import { beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern } from "../../src/core/types.js";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { squawkSuppressions } from "../../src/migrations/squawk-ignore.js";
import { breakingChange } from "../../src/rules/breaking-change.js";
import { runRules } from "../../src/rules/run.js";
import { initParser } from "../../src/sql/parser.js";
import { buildInput, check, config, type FixtureFile } from "./helpers.js";

beforeAll(() => initParser());

const BASE = "CREATE TABLE orders (id int PRIMARY KEY, status text, legacy_code text, placed_at timestamptz);\nCREATE TABLE notes (id int PRIMARY KEY, body text);\n";

const CODE = `
export async function listOpenOrders(supabase) {
  return supabase.from("orders").select("id, status").eq("legacy_code", "x").order("placed_at", { ascending: false });
}

export async function orderById(sql, id) {
  return sql\`SELECT id FROM orders WHERE id = \${id}\`;
}
`;

function patterns(code = CODE): AccessPattern[] {
  const result = extractFromCodeFile("src/orders.ts", code);
  expect(result.problems).toEqual([]);
  return result.patterns;
}

function later(sql: string): FixtureFile[] {
  return [
    { path: "m/001_init.sql", sql: BASE },
    { path: "m/002_change.sql", sql },
  ];
}

describe("breaking-change", () => {
  it("reports DROP COLUMN of a column a query filters on, naming the call site and the deploy order", () => {
    const [finding, ...rest] = check(breakingChange, later("ALTER TABLE orders DROP COLUMN legacy_code;"), { patterns: patterns() });
    expect(rest).toEqual([]);
    expect(finding.severity).toBe("routine");
    expect(finding.columns).toEqual(["legacy_code"]);
    expect(finding.location).toMatchObject({ file: "m/002_change.sql", line: 1 });
    expect(finding.message).toContain("src/orders.ts:3 (`listOpenOrders()`)");
    expect(finding.summary).toContain("deploy code that stops reading it first");
    expect(finding.fix).toBeUndefined();
  });

  it("is silent for a column no query names, a table no query reads, and a table created in the same migration", () => {
    expect(check(breakingChange, later("ALTER TABLE orders DROP COLUMN status;"), { patterns: patterns() })).toEqual([]);
    expect(check(breakingChange, later("DROP TABLE notes;"), { patterns: patterns() })).toEqual([]);
    expect(check(breakingChange, later("ALTER TABLE notes RENAME COLUMN body TO text_body;"), { patterns: patterns() })).toEqual([]);
    expect(check(breakingChange, BASE + "ALTER TABLE orders DROP COLUMN legacy_code;\nDROP TABLE orders;", { patterns: patterns() })).toEqual([]);
  });

  it("reports RENAME COLUMN whether the code names the old column or already the new one, with expand/contract advice", () => {
    const [old] = check(breakingChange, later("ALTER TABLE orders RENAME COLUMN placed_at TO ordered_at;"), { patterns: patterns() });
    expect(old.message).toContain("still naming orders.placed_at: src/orders.ts:3");
    expect(old.details).toContain("ADD COLUMN ordered_at");
    expect(old.details).toContain("DROP COLUMN placed_at");
    const updated = CODE.replace('order("placed_at"', 'order("ordered_at"');
    const [fresh] = check(breakingChange, later("ALTER TABLE orders RENAME COLUMN placed_at TO ordered_at;"), { patterns: patterns(updated) });
    expect(fresh.message).toContain("already naming orders.ordered_at: src/orders.ts:3");
  });

  it("reports RENAME TABLE and DROP TABLE on a table the code reads, listing each call site once", () => {
    const [renamed] = check(breakingChange, later("ALTER TABLE orders RENAME TO purchases;"), { patterns: patterns() });
    expect(renamed.message).toContain("2 queries");
    expect(renamed.message).toContain("src/orders.ts:7 (`orderById()`)");
    expect(renamed.details).toContain("CREATE VIEW orders AS SELECT * FROM purchases;");
    const [dropped] = check(breakingChange, later("DROP TABLE orders;"), { patterns: patterns() });
    expect(dropped.summary).toBe("DROP TABLE orders breaks 2 queries that still read it: deploy code that stops reading it first.");
  });

  it("is silent when the dropped table or column is made again later: the code reads the new one", () => {
    expect(check(breakingChange, later("DROP TABLE orders;\nCREATE TABLE orders (id int PRIMARY KEY, legacy_code text, placed_at timestamptz);"), { patterns: patterns() })).toEqual([]);
    expect(check(breakingChange, later("ALTER TABLE orders DROP COLUMN legacy_code;\nALTER TABLE orders ADD COLUMN legacy_code text;"), { patterns: patterns() })).toEqual([]);
  });

  it("is silent for a swap in one file: the column or table dropped and another renamed to its name", () => {
    const swap = "ALTER TABLE orders ADD COLUMN placed_at_new timestamptz;\nALTER TABLE orders DROP COLUMN placed_at;\nALTER TABLE orders RENAME COLUMN placed_at_new TO placed_at;";
    expect(check(breakingChange, later(swap), { patterns: patterns() })).toEqual([]);
    const tableSwap = "CREATE TABLE orders_new (LIKE orders);\nDROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;";
    expect(check(breakingChange, [...later("CREATE TABLE orders_new (LIKE orders);"), { path: "m/003_swap.sql", sql: tableSwap.split("\n").slice(1).join("\n") }], { patterns: patterns() })).toEqual([]);
    // The same rename in a file of its own is a rename: code naming orders ran against orders_new before it.
    const [renamed] = check(breakingChange, [...later("CREATE TABLE orders_new (LIKE orders);\nDROP TABLE orders;"), { path: "m/003_rename.sql", sql: "ALTER TABLE orders_new RENAME TO orders;" }], { patterns: patterns() });
    expect(renamed.message).toContain("already naming orders");
  });

  it("in a settled migration, lists code that still names the dropped column as NOTED and leaves out a rename the code follows", () => {
    const settle = (sql: string): FixtureFile[] => [...later(sql), ...[3, 4, 5].map((n) => ({ path: `m/00${n}_more.sql`, sql: "SELECT 1;" }))];
    const [noted] = check(breakingChange, settle("ALTER TABLE orders DROP COLUMN legacy_code;"), { patterns: patterns() });
    expect(noted.severity).toBe("noted");
    const updated = CODE.replace('order("placed_at"', 'order("ordered_at"');
    expect(check(breakingChange, settle("ALTER TABLE orders RENAME COLUMN placed_at TO ordered_at;"), { patterns: patterns(updated) })).toEqual([]);
  });

  it("takes its severity from the rule's configuration, and honours squawk-ignore ban-drop-column", () => {
    const input = buildInput(later("ALTER TABLE orders DROP COLUMN legacy_code;"), { patterns: patterns() });
    const configured = runRules([input], [], config({ rules: { "breaking-change": "important" } }), false, [breakingChange]);
    expect(configured.map((f) => f.severity)).toEqual(["important"]);
    expect(runRules([input], [], config({ rules: { "breaking-change": "off" } }), false, [breakingChange])).toEqual([]);
    const ignored = squawkSuppressions("-- squawk-ignore ban-drop-column\nALTER TABLE orders DROP COLUMN legacy_code;", "m/002_change.sql");
    expect(ignored.get(2)?.map((s) => s.rule)).toEqual(["breaking-change"]);
  });
});
