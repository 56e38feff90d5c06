// A drizzle config's `out` decides whose migrations a folder holds: Drizzle's, wherever it sits, so that
// drizzle-kit's one-transaction migrator is what the audit assumes (a Supabase CLI folder name proves nothing).
import { describe, expect, it } from "vitest";
import { discoverMigrationSets } from "../../src/migrations/discover.js";
import { readDrizzleConfig, resolveFromConfig } from "../../src/migrations/frameworks/drizzle-config.js";
import { config, openRepo, order, transactions, writeRepo } from "./helpers.js";

async function discover(files: Record<string, string>) {
  const repo = await openRepo(await writeRepo(files));
  return discoverMigrationSets(repo.files, repo.read, config());
}

const MIGRATIONS = {
  "apps/api/supabase/migrations/0000_first.sql": 'CREATE TABLE "a" ("id" uuid PRIMARY KEY);\n',
  "apps/api/supabase/migrations/0001_second.sql": 'CREATE TABLE "b" ("id" uuid PRIMARY KEY, "a_id" uuid REFERENCES "a");\n',
};

describe("a drizzle config's out folder", () => {
  it("makes supabase/migrations Drizzle's, journal or not, each file in drizzle-kit's transaction", async () => {
    const { sets, problems } = await discover({
      ...MIGRATIONS,
      "packages/db/drizzle.config.ts": 'import { defineConfig } from "drizzle-kit";\nexport default defineConfig({ schema: "./src/schema", out: "../../apps/api/supabase/migrations", dialect: "postgresql" });\n',
    });
    expect(problems).toEqual([]);
    expect(sets.map((s) => [s.name, s.framework])).toEqual([["apps/api/supabase/migrations", "drizzle"]]);
    expect(order(sets[0])).toEqual(["apps/api/supabase/migrations/0000_first.sql", "apps/api/supabase/migrations/0001_second.sql"]);
    expect(transactions(sets[0])).toEqual({ "0000_first.sql": true, "0001_second.sql": true });
  });

  it("without a config naming it, the same folder stays the Supabase CLI's", async () => {
    const { sets } = await discover({ ...MIGRATIONS, "packages/db/drizzle.config.ts": 'export default { schema: "./src/schema", out: "./drizzle", dialect: "postgresql" };\n' });
    expect(sets.map((s) => [s.name, s.framework])).toEqual([["apps/api/supabase/migrations", "supabase"]]);
  });

  it("is read from JSON and CommonJS configs, and a config for another dialect claims nothing", async () => {
    const json = await discover({ ...MIGRATIONS, "apps/api/drizzle.config.json": '{ "dialect": "postgresql", "out": "./supabase/migrations" }' });
    expect(json.sets.map((s) => s.framework)).toEqual(["drizzle"]);
    const cjs = await discover({ ...MIGRATIONS, "drizzle.config.cjs": 'module.exports = { dialect: "postgresql", out: "apps/api/supabase/migrations/" };\n' });
    expect(cjs.sets.map((s) => s.framework)).toEqual(["drizzle"]);
    const mysql = await discover({ ...MIGRATIONS, "drizzle.config.ts": 'export default { dialect: "mysql", out: "apps/api/supabase/migrations" };\n' });
    expect(mysql.sets.map((s) => s.framework)).toEqual(["supabase"]);
  });

  it("a config that cannot be parsed, or computes out at run time, is passed over", async () => {
    const broken = await discover({ ...MIGRATIONS, "drizzle.config.ts": "export default defineConfig({ out: \n" });
    expect(broken.sets.map((s) => s.framework)).toEqual(["supabase"]);
    const computed = await discover({ ...MIGRATIONS, "drizzle.config.ts": 'export default { dialect: "postgresql", out: process.env.OUT };\n' });
    expect(computed.sets.map((s) => s.framework)).toEqual(["supabase"]);
  });
});

describe("readDrizzleConfig", () => {
  it("reads out, schema and dialect from the object literal, as written", () => {
    const text = 'import type { Config } from "drizzle-kit";\nconst url = process.env.DATABASE_URL!;\nexport default {\n  schema: ["./src/a.ts", "./src/b.ts"],\n  out: `./migrations`,\n  dialect: "PostgreSQL",\n  dbCredentials: { url },\n} satisfies Config;\n';
    expect(readDrizzleConfig("drizzle.config.ts", text)).toEqual({ out: "./migrations", schema: ["./src/a.ts", "./src/b.ts"], dialect: "postgresql" });
  });

  it("resolves out against the config's folder and refuses paths that leave the repository", () => {
    expect(resolveFromConfig("packages/db/drizzle.config.ts", "../../apps/api/supabase/migrations/")).toBe("apps/api/supabase/migrations");
    expect(resolveFromConfig("drizzle.config.ts", "./drizzle")).toBe("drizzle");
    expect(resolveFromConfig("drizzle.config.ts", "../elsewhere")).toBeNull();
    expect(resolveFromConfig("drizzle.config.ts", "/abs/path")).toBeNull();
  });
});
