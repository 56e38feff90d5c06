// Drizzle migrations kept in a Supabase project's folder (the drizzle config's `out`): the audit reads them as
// Drizzle's, runs in drizzle-kit's one transaction, and gives fixes in the Drizzle schema's form.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../../src/audit.js";
import { DEFAULT_CONFIG } from "../../../src/core/config.js";
import { fsSource } from "../../../src/source/fs-source.js";
import { FIXTURES } from "./helpers.js";

let result: AuditResult;
beforeAll(async () => {
  result = await audit(fsSource(join(FIXTURES, "drizzle-supabase-out")), { config: DEFAULT_CONFIG });
}, 60_000);

describe("a drizzle config whose out is supabase/migrations", () => {
  it("reads the folder as one Drizzle set, with the schema files (tables with row level security) joined to it", () => {
    expect(result.sets.map((s) => [s.set.name, s.set.framework])).toEqual([["apps/api/supabase/migrations", "drizzle"]]);
    expect(result.sets[0].set.files.every((f) => f.runsInTransaction)).toBe(true);
    expect(result.sets[0].declared).toMatchObject({ orm: "drizzle", standsAlone: false, addedTables: [] });
    expect(result.sets[0].declared!.files).toEqual(["packages/db/src/schema/member.ts", "packages/db/src/schema/project.ts", "packages/db/src/schema/settings.ts"]);
  });

  it("gives the foreign-key index as drizzle-kit writes it, with the index() line, and no CONCURRENTLY inside the migrator", () => {
    const fk = result.findings.filter((f) => f.rule === "fk-index");
    expect(fk).toHaveLength(1);
    expect(fk[0].table).toBe("public.project_members");
    expect(fk[0].fix!.sql).toBe('CREATE INDEX "idx_project_members_project_id" ON "project_members" USING btree ("project_id");');
    // The config is one line, `(table) => [primaryKey(...)]`: the entry goes inside it, named by its own parameter.
    expect(fk[0].fix!.declared).toMatchObject({
      file: "packages/db/src/schema/member.ts",
      line: 20,
      action: "replace",
      text: '  (table) => [index("idx_project_members_project_id").on(table.projectId), primaryKey({ columns: [table.memberId, table.projectId] })],',
    });
    expect(fk[0].fix!.declared!.note).toContain("outside the migrator");
    expect(fk[0].fix!.declared!.note).toContain("Import `index` from drizzle-orm/pg-core: the file does not import it yet.");
    expect(result.findings.filter((f) => f.fix && /CONCURRENTLY/.test(f.fix.sql) && f.rule !== "index-locking")).toEqual([]);
  });

  it("replays in PostgreSQL with Supabase's platform objects, a Realtime policy included", async () => {
    const verified = await audit(fsSource(join(FIXTURES, "drizzle-supabase-out")), { config: { ...DEFAULT_CONFIG, verify: true } });
    expect(verified.findings.filter((f) => f.rule === "migration-fails")).toEqual([]);
    expect(verified.verification!.sets[0]).toMatchObject({ failures: 0, skipped: [] });
  }, 120_000);

  it("gives the missing primary key as primaryKey(), replacing the unique the key takes over", () => {
    const pk = result.findings.filter((f) => f.rule === "missing-primary-key");
    expect(pk.map((f) => f.table)).toEqual(["public.project_settings"]);
    expect(pk[0].fix!.sql).toBe('ALTER TABLE project_settings DROP CONSTRAINT project_settings_project_id_unique, ADD CONSTRAINT "project_settings_project_id_pk" PRIMARY KEY (project_id);');
    expect(pk[0].fix!.declared).toMatchObject({ file: "packages/db/src/schema/settings.ts", action: "replace", text: "}, (t) => [primaryKey({ columns: [t.projectId] })]);", language: "typescript" });
  });
});
