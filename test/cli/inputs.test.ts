// Odd inputs, end to end through the command line: a Drizzle journal out of step with its folder, a
// migration whose name mentions queries, a NUL inside a string literal, a legacy 8-bit source file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratch, spawnCli } from "./harness.js";

interface JsonFinding {
  rule: string;
  severity: string;
  details: string;
  table: string;
  columns: string[];
  message: string;
  location: { file: string; line: number };
}

let files: ReturnType<typeof scratch>;
beforeAll(() => {
  files = scratch("index-audit-inputs-");
});
afterAll(() => files.cleanup());

const JOURNAL = `{
  "version": "7",
  "dialect": "postgresql",
  "entries": [
    { "idx": 0, "version": "7", "when": 1714000000000, "tag": "0000_gone", "breakpoints": true }
  ]
}
`;

describe("index-audit on a repository with odd inputs", () => {
  it("audits every migration beside an out-of-step journal, reads odd files as text, and names each problem once", async () => {
    const root = files.repo("odd", {
      "drizzle/meta/_journal.json": JOURNAL,
      "drizzle/0000_users.sql": 'CREATE TABLE "users" ("id" serial PRIMARY KEY NOT NULL, "email" text NOT NULL);\n',
      "drizzle/0001_posts.sql": 'CREATE TABLE "posts" ("id" serial PRIMARY KEY NOT NULL, "author_id" integer NOT NULL);\n',
      "drizzle/0002_comments.sql": 'CREATE TABLE "comments" ("id" serial PRIMARY KEY NOT NULL, "post_id" integer NOT NULL, "body" text);\n',
      // A migration, whatever its name says: its index must serve the query on users.note.
      "drizzle/0003.schema.query-note.sql":
        'ALTER TABLE "users" ADD COLUMN "note" text;--> statement-breakpoint\nUPDATE "users" SET "note" = \'\' WHERE "note" IS NULL;--> statement-breakpoint\nCREATE INDEX "users_note_idx" ON "users" ("note");\n',
      "src/comments.ts": 'import { pool } from "./db";\nexport const commentsOf = (postId: number) => pool.query("SELECT id, body FROM comments WHERE post_id = $1", [postId]);\n',
      "src/separator.ts": Buffer.concat([
        Buffer.from('import { pool } from "./db";\nexport const SEP = "'),
        Buffer.from([0]),
        Buffer.from(
          '";\nexport const postsBy = (authorId: number) => pool.query("SELECT id FROM posts WHERE author_id = $1", [authorId]);\n' +
            'export const byNote = (note: string) => pool.query("SELECT id FROM users WHERE note = $1", [note]);\n',
        ),
      ]),
      // windows-1252 bytes ("é", "€"), invalid as UTF-8, and no database code.
      "src/legacy.js": Buffer.concat([Buffer.from("// r"), Buffer.from([0xe9]), Buffer.from("sum"), Buffer.from([0xe9, 0x20, 0x80]), Buffer.from("\nmodule.exports = { price: 1 };\n")]),
    });

    const run = await spawnCli([root, "--format", "json", "--fail-on", "never"]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/no migrations found/);
    const findings = JSON.parse(run.stdout).findings as JsonFinding[];

    // A journal out of step with its folder is not unreadable input: its own NOTED kind, with what drizzle-kit would do.
    expect(findings.filter((f) => f.rule === "parse-error" && f.location.file.startsWith("drizzle/"))).toEqual([]);
    const listing = findings.filter((f) => f.rule === "migration-listing");
    expect(listing.map((f) => f.severity)).toEqual(["noted", "noted"]);
    expect(listing[0].details).toContain("If the project applies its migrations some other way (`drizzle-kit push`, by hand, or with another tool), ignore this finding.");
    expect(listing[0].details).not.toContain("Fix the syntax");
    const problems = listing.map((f) => `${f.location.file}:${f.location.line} ${f.message}`);
    expect(problems.sort()).toEqual([
      'drizzle/meta/_journal.json:5 drizzle journal lists "0000_gone" but drizzle/0000_gone.sql does not exist',
      "drizzle/meta/_journal.json:1 4 SQL files in drizzle are not listed in drizzle/meta/_journal.json: 0000_users.sql, 0001_posts.sql, 0002_comments.sql, 0003.schema.query-note.sql. drizzle-kit does not apply them; they are audited after the listed migrations, in name order",
    ].sort());

    // Queries are read from the NUL file and matched against tables of the unlisted migrations.
    const unserved = findings.filter((f) => f.rule === "query-index").map((f) => `${f.table}(${f.columns.join(", ")}) ${f.location.file}`);
    expect(unserved).toContain("public.comments(post_id) src/comments.ts");
    expect(unserved).toContain("public.posts(author_id) src/separator.ts");
    // users.note is served by the index of the migration named like a query file.
    expect(unserved.filter((u) => u.startsWith("public.users"))).toEqual([]);
  });
});
