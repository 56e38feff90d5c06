import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseSync } from "oxc-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { CODE_CLIENTS } from "../../src/queries/clients/index.js";
import type { Node } from "../../src/queries/code/ast.js";
import { CodeWalker } from "../../src/queries/code/walker.js";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { mayQuery } from "../../src/queries/may-query.js";
import { collectSharedConstants, emptyConstants, type SharedConstants } from "../../src/queries/shared-constants.js";
import { initParser, lineIndex } from "../../src/sql/parser.js";

beforeAll(() => initParser());

/** What the walker finds when the file is parsed whatever its text. */
function parsedPatterns(file: string, text: string, shared: SharedConstants): unknown[] {
  const lang = /\.tsx$/.test(file) ? "tsx" : /\.[cm]?ts$/.test(file) ? "ts" : "jsx";
  const parsed = parseSync(file, text, { sourceType: "module", lang });
  if (parsed.errors.some((e) => e.severity === "Error")) return [];
  const walker = new CodeWalker(file, parsed.program as unknown as Node, parsed.comments, lineIndex(text), shared, CODE_CLIENTS);
  walker.run();
  return walker.patterns;
}

function codeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules") return [];
    if (statSync(full).isDirectory()) return codeFiles(full);
    return /\.(ts|tsx|js|jsx|mjs|cjs)$/.test(name) && !/\.d\.ts$/.test(name) ? [full] : [];
  });
}

describe("the quick test before a code file is parsed", () => {
  it("rules out a file whose method names are all called on something else, so its syntax error is not reported", () => {
    const text = [
      `import { createHash } from "node:crypto";`,
      `import { z } from "zod";`,
      `export const bytes = Array.from(new Set([1, 2]));`,
      `export const buf = Buffer.from("abc");`,
      `export const digest = createHash("sha256").update("x").digest("hex");`,
      `export const schema = z.object({ extra: z.any() });`,
      `export const router = t.router({ list: protectedProcedure.input(schema).query(async ({ ctx }) => ctx.items) });`,
      `export function strip(params: URLSearchParams) { params.delete("page"); }`,
      `export const url = supabase.storage.from("avatars").getPublicUrl("a.png");`,
      `export const total = React.Children.count(children);`,
      `export const label = pool.query("users");`,
      `const = ;`,
    ].join("\n");
    expect(mayQuery(text)).toBe(false);
    expect(extractFromCodeFile("src/util.ts", text)).toEqual({ patterns: [], problems: [] });
  });

  it("still parses a file holding a query, and reports its syntax error", () => {
    const text = `export const rows = () => supabase.from("users").select("id");\nconst = ;\n`;
    expect(mayQuery(text)).toBe(true);
    const { problems } = extractFromCodeFile("src/broken.ts", text);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^src\/broken\.ts:2:\d+: syntax error/)]);
  });

  it("passes queries sent through an imported or re-exported client, a bound factory result, and a comment or cast in the way", () => {
    const cases: Array<[string, string]> = [
      // A client re-exported by a module of the application.
      ["users", `import { db } from "@/lib/db";\nimport { users } from "@/lib/schema";\nexport const all = () => db.select().from(users);`],
      ["user", `import { prisma } from "@/server/prisma";\nexport const one = (id: string) => prisma.user.findUnique({ where: { id } });`],
      ["users", `import { supabaseAdmin } from "../clients";\nexport const list = () => supabaseAdmin.from("users").select("id").eq("org_id", 1);`],
      // A neutral name bound to a factory's result.
      ["orders", `const sb = createServerClient(url, key);\nexport const list = () => sb\n  // newest first\n  .from("orders").select("id").order("created_at");`],
      ["user", `export const find = (id: string) => (prisma.user as any).findFirst({ where: { id } });`],
      ["users", `export const touch = (id: number) => db\n  .update(users) // all columns\n  .set({ seen: true })\n  .where(eq(users.id, id));`],
      ["users", `export const gone = (id: number) => db.delete(users).where(eq(users.id, id));`],
      ["users", `export const add = (row: object) => tx.insert(users).values(row);`],
      ["users", `export const rows = () => pool.query(\n  "\\n SELECT id FROM users WHERE email = $1", [email]);`],
      ["users", "export const rows = (id: number) => sql`\n  select id from users where id = ${id}`;"],
      ["users", "export const rows = (id: number) => prisma.$queryRaw<{ id: number }[]>`SELECT id FROM users WHERE id = ${id}`;"],
      ["person", `export const people = () => kysely.selectFrom("person").selectAll().execute();`],
    ];
    for (const [table, text] of cases) {
      expect(mayQuery(text), text).toBe(true);
      const { patterns } = extractFromCodeFile("src/queries.ts", text);
      expect(patterns.map((p) => p.table), text).toContain(table);
    }
  });

  it("passes SQL held in a constant that another file exports", () => {
    const shared = emptyConstants();
    collectSharedConstants(`export const ACTIVE_USERS = "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id";`, shared);
    const text = `import { ACTIVE_USERS } from "./sql";\nexport const active = () => pool.query(ACTIVE_USERS);`;
    expect(mayQuery(text)).toBe(true);
    expect(extractFromCodeFile("src/find.ts", text, shared).patterns.map((p) => p.table)).toEqual(["users"]);
  });

  it("loses no query of the examples and fixtures: every file it rules out holds none when parsed", () => {
    const roots = [...readdirSync("examples").map((n) => path.join("examples", n)), ...readdirSync("test/fixtures").map((n) => path.join("test/fixtures", n))];
    let parsed = 0;
    let ruledOut = 0;
    for (const root of roots) {
      const files = codeFiles(root).map((file) => ({ file, text: readFileSync(file, "utf8") }));
      const shared = emptyConstants();
      for (const { text } of files) collectSharedConstants(text, shared);
      for (const { file, text } of files) {
        const found = parsedPatterns(file, text, shared);
        if (mayQuery(text)) parsed++;
        else {
          ruledOut++;
          expect(found, file).toEqual([]);
        }
      }
    }
    expect(parsed).toBeGreaterThan(20);
    expect(ruledOut).toBeGreaterThan(0);
  });
});
