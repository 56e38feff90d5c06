// Index names the fixes create are unique per schema: PostgreSQL keeps indexes and tables in one
// namespace per schema, so two fixes naming different indexes alike cannot both be applied (the
// second CREATE INDEX IF NOT EXISTS is skipped and its query stays unserved).
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, expect, it } from "vitest";
import { audit } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { startPGlite } from "../support/pglite.js";
import { memorySource } from "../queries/support/audit-oracle.js";

const MIGRATIONS: Record<string, string> = {
  "supabase/migrations/20240101000000_canvas.sql": `CREATE TABLE canvas (id uuid PRIMARY KEY);
CREATE TABLE branches (id uuid PRIMARY KEY);
CREATE TABLE frames (id uuid PRIMARY KEY, canvas_id uuid NOT NULL REFERENCES canvas(id) ON DELETE CASCADE, branch_id uuid, x int NOT NULL);
`,
  "supabase/migrations/20240201000000_a.sql": "COMMENT ON TABLE frames IS 'Frames on a canvas.';\n",
  "supabase/migrations/20240301000000_b.sql": "COMMENT ON TABLE canvas IS 'Canvases.';\n",
  "supabase/migrations/20240401000000_c.sql": "COMMENT ON TABLE branches IS 'Branches.';\n",
  "supabase/migrations/20240501000000_x.sql": "CREATE INDEX frames_x_idx ON frames (x);\n",
};
const CODE = `import { createClient } from "@supabase/supabase-js";
const supabase = createClient("http://localhost", "key");
export async function unbranchedFrames(canvas: string) {
  return supabase.from("frames").select("id, x").eq("canvas_id", canvas).is("branch_id", null);
}
export async function removeCanvas(id: string) {
  return supabase.from("canvas").delete().eq("id", id);
}
`;

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

it("a plain foreign-key index and a partial query index on the same column get different names, and both fixes apply", async () => {
  const result = await audit(memorySource({ ...MIGRATIONS, "src/frames.ts": CODE }), { config: DEFAULT_CONFIG });
  const fixes = result.findings.filter((f) => f.table === "public.frames" && (f.rule === "fk-index" || f.rule === "query-index") && f.fix && /CREATE INDEX/.test(f.fix.sql));
  expect(fixes.map((f) => f.rule).sort()).toEqual(["fk-index", "query-index"]);
  const names = fixes.map((f) => /INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?"?(\w+)"?/.exec(f.fix!.sql)![1]);
  expect(new Set(names).size).toBe(2);
  const fk = fixes.find((f) => f.rule === "fk-index")!;
  const query = fixes.find((f) => f.rule === "query-index")!;
  expect(fk.fix!.sql).toContain("idx_frames_canvas_id ");
  expect(query.fix!.sql).toContain("idx_frames_canvas_id_branch_id ");
  expect(query.message).toContain("idx_frames_canvas_id_branch_id");

  for (const sql of Object.values(MIGRATIONS)) await db.exec(sql);
  for (const f of [fk, query]) for (const statement of f.fix!.sql.split("\n")) await db.exec(statement);
  const made = await db.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'frames' AND indexname LIKE 'idx_%' ORDER BY indexname");
  expect(made.rows.map((r) => r.indexname)).toEqual(["idx_frames_canvas_id", "idx_frames_canvas_id_branch_id"]);
  expect(made.rows[1].indexdef).toContain("WHERE (branch_id IS NULL)");
});

it("a fix that rewrites a migration's own CREATE INDEX keeps that index's name", async () => {
  const result = await audit(memorySource({ ...MIGRATIONS, "src/frames.ts": CODE }), { config: DEFAULT_CONFIG });
  const rewrite = result.findings.find((f) => f.rule === "index-locking" && f.location.file.endsWith("_x.sql"));
  expect(rewrite?.fix?.placement).toBe("replace");
  expect(rewrite?.fix?.sql).toMatch(/CREATE INDEX CONCURRENTLY (IF NOT EXISTS )?"?frames_x_idx"? ON/);
});
