import { describe, expect, it } from "vitest";
import { discoverFixture, config, order, transactions } from "./helpers.js";

describe("migration discovery by framework layout", () => {
  it("supabase: timestamped files in name order, other files skipped, each file in a transaction", async () => {
    const { sets, problems, skipped } = await discoverFixture("supabase");
    expect(problems).toEqual([]);
    expect(skipped).toEqual([]);
    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({ name: "supabase/migrations", framework: "supabase", root: "supabase/migrations" });
    expect(order(sets[0])).toEqual([
      "supabase/migrations/20231231235959_earliest.sql",
      "supabase/migrations/20240101000000_init.sql",
      "supabase/migrations/20240215093000_add_index.sql",
    ]);
    expect(sets[0].files.map((f) => f.order)).toEqual([0, 1, 2]);
    expect(sets[0].files.every((f) => f.runsInTransaction)).toBe(true);
  });

  it("prisma: folders in name order; Prisma 5 sends a multi-statement file as one implicit transaction", async () => {
    const { sets, problems } = await discoverFixture("prisma");
    expect(problems).toEqual([]);
    expect(sets).toHaveLength(1);
    expect(sets[0].framework).toBe("prisma");
    expect(order(sets[0])).toEqual([
      "prisma/migrations/20240101000000_init/migration.sql",
      "prisma/migrations/20240201000000_add_email/migration.sql",
      "prisma/migrations/20240301000000_concurrent_index/migration.sql",
    ]);
    expect(transactions(sets[0])).toEqual({
      "20240101000000_init/migration.sql": true,
      "20240201000000_add_email/migration.sql": false,
      "20240301000000_concurrent_index/migration.sql": false,
    });
  });

  it("drizzle: the journal decides order, not file names", async () => {
    const { sets, problems } = await discoverFixture("drizzle");
    expect(problems).toEqual([]);
    expect(sets).toHaveLength(1);
    expect(sets[0].framework).toBe("drizzle");
    expect(order(sets[0])).toEqual(["drizzle/melted_thor.sql", "drizzle/brave_hulk.sql", "drizzle/calm_storm.sql"]);
    expect(sets[0].files.every((f) => f.runsInTransaction)).toBe(true);
  });

  it("drizzle without a journal is recognised by its statement breakpoints", async () => {
    const { sets } = await discoverFixture("drizzle-no-journal");
    expect(sets.map((s) => [s.framework, s.name])).toEqual([["drizzle", "db/migrations"]]);
    expect(order(sets[0])).toEqual(["db/migrations/0000_first.sql", "db/migrations/0001_second.sql"]);
  });

  it("flyway: versions compare as numbers (1.10 after 1.9), repeatables last by description, undo ignored", async () => {
    const { sets, problems } = await discoverFixture("flyway");
    expect(problems).toEqual([]);
    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({ framework: "flyway", name: "src/main/resources/db/migration" });
    expect(order(sets[0]).map((p) => p.split("/").pop())).toEqual([
      "V1__init.sql",
      "V1_1__email.sql",
      "V1.9__nine.sql",
      "V1.10__ten.sql",
      "V2__payment.sql",
      "V3__concurrent.sql",
      "V4__enum.sql",
      "R__a_functions.sql",
      "R__views.sql",
    ]);
    const tx = transactions(sets[0]);
    expect(tx["V2__payment.sql"]).toBe(true);
    // Flyway detects CREATE INDEX CONCURRENTLY and runs that script outside a transaction.
    expect(tx["V3__concurrent.sql"]).toBe(false);
    // V4__enum.sql.conf says executeInTransaction=false.
    expect(tx["V4__enum.sql"]).toBe(false);
  });

  it("golang-migrate: numeric version order, .down.sql ignored, one statement runs outside a transaction", async () => {
    const { sets } = await discoverFixture("golang-migrate");
    expect(sets).toHaveLength(1);
    expect(sets[0].framework).toBe("golang-migrate");
    expect(order(sets[0])).toEqual(["migrations/1_init.up.sql", "migrations/2_email.up.sql", "migrations/10_orders_user.up.sql"]);
    expect(transactions(sets[0])).toEqual({ "1_init.up.sql": true, "2_email.up.sql": false, "10_orders_user.up.sql": false });
  });

  it("dbmate: recognised by its up marker, transaction:false honoured, the schema.sql dump beside it not audited twice", async () => {
    const { sets, problems } = await discoverFixture("dbmate");
    expect(problems).toEqual([]);
    expect(sets.map((s) => [s.framework, s.name])).toEqual([["dbmate", "db/migrations"]]);
    expect(transactions(sets[0])).toEqual({
      "20240101120000_create_projects.sql": true,
      "20240102120000_index_tasks.sql": false,
    });
  });

  it("sqitch: plan order, deploy scripts, no transaction of its own", async () => {
    const { sets, problems } = await discoverFixture("sqitch");
    expect(problems).toEqual([]);
    expect(sets).toHaveLength(1);
    expect(sets[0].framework).toBe("sqitch");
    expect(order(sets[0])).toEqual(["deploy/appschema.sql", "deploy/users.sql", "deploy/flips.sql"]);
    expect(sets[0].files.some((f) => f.runsInTransaction)).toBe(false);
  });

  it("a lone schema dump is one set of one file", async () => {
    const { sets } = await discoverFixture("schema-dump");
    expect(sets).toEqual([
      {
        name: "db/structure.sql",
        framework: "schema-dump",
        root: "db/structure.sql",
        files: [{ path: "db/structure.sql", order: 0, runsInTransaction: false }],
      },
    ]);
  });

  it("plain folder: natural order (file2 before file10); seed data, query files and test fixtures left alone", async () => {
    const { sets } = await discoverFixture("plain");
    expect(sets.map((s) => [s.framework, s.name])).toEqual([["plain", "migrations"]]);
    expect(order(sets[0])).toEqual(["migrations/001_init.sql", "migrations/file2.sql", "migrations/file10.sql"]);
  });

  it("monorepo: two sets audited separately; ClickHouse folders left out with a note, not an error", async () => {
    const { sets, problems, skipped } = await discoverFixture("monorepo");
    expect(problems).toEqual([]);
    expect(sets.map((s) => [s.framework, s.name, s.files.length])).toEqual([
      ["supabase", "apps/a/supabase/migrations", 2],
      ["prisma", "apps/b/prisma/migrations", 1],
    ]);
    expect(skipped.map((s) => s.root).sort()).toEqual(["clickhouse/migrations", "services/analytics/migrations"]);
    expect(skipped.find((s) => s.root === "services/analytics/migrations")?.reason).toMatch(/ClickHouse.*ReplacingMergeTree/);
  });
});

describe("configuration overrides detection", () => {
  it("migrations.paths makes each path a set, and nothing else is looked for", async () => {
    const { sets } = await discoverFixture("monorepo", config({ paths: ["apps/b/prisma/migrations"] }));
    expect(sets.map((s) => [s.framework, s.name])).toEqual([["prisma", "apps/b/prisma/migrations"]]);
  });

  it("migrations.framework reinterprets a folder", async () => {
    // Read as plain, the dbmate files would keep their down sections; read as dbmate, they are split.
    const { sets } = await discoverFixture("dbmate", config({ paths: ["db/migrations"], framework: "plain" }));
    expect(sets.map((s) => [s.framework, s.name])).toEqual([["plain", "db/migrations"]]);
    expect(sets[0].files.every((f) => !f.runsInTransaction)).toBe(true);
  });

  it("a configured folder that the layout does not recognise is read as plain SQL in natural order", async () => {
    const { sets } = await discoverFixture("plain", config({ paths: ["test/fixtures"] }));
    expect(sets.map((s) => [s.framework, s.name, order(s)])).toEqual([["plain", "test/fixtures", ["test/fixtures/0001_fixture.sql"]]]);
  });

  it("a configured single file is a set of its own", async () => {
    const { sets } = await discoverFixture("dbmate", config({ paths: ["db/schema.sql"] }));
    expect(sets.map((s) => [s.framework, order(s)])).toEqual([["schema-dump", ["db/schema.sql"]]]);
  });

  it("a configured path that matches nothing is reported under the config key", async () => {
    const { sets, problems } = await discoverFixture("plain", config({ paths: ["db/nowhere"] }));
    expect(sets).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/migrations\.paths.*db\/nowhere/);
  });

  it("migrations.exclude leaves folders out", async () => {
    const { sets, skipped } = await discoverFixture("monorepo", config({ exclude: ["apps/a/**"] }));
    expect(sets.map((s) => s.name)).toEqual(["apps/b/prisma/migrations"]);
    expect(skipped).toContainEqual({ root: "apps/a/supabase/migrations", reason: "excluded by migrations.exclude" });
  });

  it("migrations.exclude also drops single files", async () => {
    const { sets } = await discoverFixture("supabase", config({ exclude: ["**/20240215093000_*.sql"] }));
    expect(order(sets[0])).toEqual(["supabase/migrations/20231231235959_earliest.sql", "supabase/migrations/20240101000000_init.sql"]);
  });
});
