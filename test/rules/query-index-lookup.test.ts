// A lookup table (a price list, a list of plans): a handful of rows, referenced by other tables, written by a
// seed script at most. A query on it is NOTED, saying why: the planner reads it whole rather than through an
// index (checked on PostgreSQL 18 in PGlite), and the index would cost every write for nothing.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, pattern } from "../advisor/support/schema.js";
import { startPGlite } from "../support/pglite.js";
import { queryIndexOn } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(() => db.close());

const CATALOG = `CREATE TABLE plans (id int PRIMARY KEY, name text NOT NULL, stripe_product_id text UNIQUE);
CREATE TABLE prices (id int PRIMARY KEY, plan_id int NOT NULL REFERENCES plans ON DELETE CASCADE, tier text NOT NULL, monthly_limit int NOT NULL, stripe_price_id text UNIQUE);
CREATE TABLE subscriptions (id bigint PRIMARY KEY, user_id bigint NOT NULL, price_id int NOT NULL REFERENCES prices, started_at timestamptz NOT NULL);
`;
const byTier = pattern("prices", [eq("tier", "$1")], { source: "drizzle", limited: true, functionName: "priceForTier" });
const seeded = (file: string) => ({ ...pattern("prices", []), kind: "insert" as const, location: { file, line: 30, column: 5 } });

describe("query-index on a lookup table", () => {
  it("a price list under a plan list, written only by a seed script: NOTED, and the planner keeps its sequential scan with the index built", async () => {
    const [finding] = queryIndexOn(CATALOG, [byTier, seeded("packages/db/src/seed/stripe.ts")]);
    expect(finding.severity).toBe("noted");
    expect(finding.details).toContain(
      "NOTED because prices looks like a lookup table (5 columns, no time column, referenced by other tables and referencing only lookup tables (plans), read, and written only by a seed or one-off script (packages/db/src/seed/stripe.ts:30))",
    );

    await db.exec(`${CATALOG} INSERT INTO plans VALUES (1, 'pro', 'prod_1'); INSERT INTO prices SELECT g, 1, 'tier_' || g, g * 100, 'price_' || g FROM generate_series(1, 11) g;`);
    for (const statement of finding.fix!.sql.split("\n")) await db.exec(statement);
    await db.exec("ANALYZE; SET plan_cache_mode = force_generic_plan; PREPARE q(text) AS SELECT * FROM prices WHERE tier = $1 LIMIT 1;");
    const plan = JSON.stringify((await db.query<{ "QUERY PLAN": unknown }>("EXPLAIN (FORMAT JSON) EXECUTE q('tier_3')")).rows[0]["QUERY PLAN"]);
    expect(plan).toContain('"Node Type":"Seq Scan"');
    await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
  });

  it("the same table written by request code is not a lookup table: not NOTED", () => {
    const [finding] = queryIndexOn(CATALOG, [byTier, seeded("src/server/routers/admin.ts")]);
    expect(finding.severity).not.toBe("noted");
    expect(finding.details).not.toContain("lookup table");
  });

  it("a child of a table that grows is not a lookup table, whoever writes it", () => {
    const grown = CATALOG.replace("CREATE TABLE plans (id int PRIMARY KEY, name text NOT NULL, stripe_product_id text UNIQUE);", "CREATE TABLE plans (id int PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL);");
    const [finding] = queryIndexOn(grown, [byTier, seeded("packages/db/src/seed/stripe.ts")]);
    expect(finding.severity).not.toBe("noted");
    expect(finding.details).not.toContain("lookup table");
  });
});
