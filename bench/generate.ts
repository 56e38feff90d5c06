// Generates synthetic repositories for the benchmark: Supabase-layout migrations with a realistic mix of
// statements, and application code that queries those tables through supabase-js, raw SQL (pg), Prisma
// Client, Drizzle and Kysely, with the Prisma and Drizzle schemas that declare the same tables.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Small deterministic PRNG (mulberry32) so every run audits the same repository. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GeneratedTable {
  name: string;
  columns: string[];
}

const COLUMN_KINDS = [
  ["status", "text NOT NULL DEFAULT 'new'"],
  ["email", "text"],
  ["external_ref", "text"],
  ["amount_cents", "bigint NOT NULL DEFAULT 0"],
  ["is_archived", "boolean NOT NULL DEFAULT false"],
  ["payload", "jsonb NOT NULL DEFAULT '{}'::jsonb"],
  ["starts_at", "timestamptz"],
  ["priority", "integer NOT NULL DEFAULT 0"],
] as const;

/** Where a framework keeps its migrations: Supabase CLI, Prisma Migrate, Drizzle Kit. */
export type MigrationLayout = "supabase" | "prisma" | "drizzle";

/** The folder holding the migrations of a layout, and a glob of their files (as squawk takes it). */
export function migrationFiles(layout: MigrationLayout): { dir: string; glob: string } {
  if (layout === "prisma") return { dir: "prisma/migrations", glob: "prisma/migrations/*/migration.sql" };
  if (layout === "drizzle") return { dir: "drizzle", glob: "drizzle/*.sql" };
  return { dir: "supabase/migrations", glob: "supabase/migrations/*.sql" };
}

/**
 * Writes `count` migrations in a framework's layout (default `root/supabase/migrations`); returns the tables
 * they create. Prisma: `prisma/migrations/<stamp>_<name>/migration.sql` and its lock file; Drizzle:
 * `drizzle/<idx>_<name>.sql` split by statement breakpoints, with `meta/_journal.json`. Both run each
 * migration in a transaction, so their indexes are built without CONCURRENTLY.
 */
export function writeMigrations(root: string, count: number, seed = 42, layout: MigrationLayout = "supabase"): GeneratedTable[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const dir = path.join(root, migrationFiles(layout).dir);
  mkdirSync(dir, { recursive: true });
  const concurrently = layout === "supabase" ? "CONCURRENTLY " : "";
  const journal: Array<{ idx: number; version: string; when: number; tag: string; breakpoints: boolean }> = [];
  const tables: GeneratedTable[] = [];
  let indexNo = 0;
  for (let i = 0; i < count; i++) {
    const stamp = String(20200101000000 + i * 100);
    const lines: string[] = [`-- migration ${i}`];
    const roll = rand();
    if (tables.length < 3 || roll < 0.35) {
      const name = `table_${tables.length}`;
      const parent = tables.length ? pick(tables) : null;
      const extra = [pick(COLUMN_KINDS), pick(COLUMN_KINDS)].filter((c, k, all) => all.findIndex((d) => d[0] === c[0]) === k);
      const cols = [
        "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        ...(parent ? [`  ${parent.name}_id bigint NOT NULL REFERENCES public.${parent.name} (id) ON DELETE CASCADE`] : []),
        "  name text NOT NULL",
        ...extra.map(([c, t]) => `  ${c} ${t}`),
        "  created_at timestamptz NOT NULL DEFAULT now()",
        "  updated_at timestamptz NOT NULL DEFAULT now()",
      ];
      lines.push(`CREATE TABLE public.${name} (\n${cols.join(",\n")}\n);`);
      const columns = ["id", ...(parent ? [`${parent.name}_id`] : []), "name", ...extra.map(([c]) => c), "created_at", "updated_at"];
      if (parent && rand() < 0.7) lines.push(`CREATE INDEX idx_${name}_${parent.name}_id ON public.${name} (${parent.name}_id);`);
      if (rand() < 0.5) lines.push(`CREATE INDEX idx_${name}_created_at ON public.${name} (created_at DESC);`);
      if (rand() < 0.3) lines.push(`CREATE UNIQUE INDEX idx_${name}_name ON public.${name} (lower(name));`);
      lines.push(`COMMENT ON TABLE public.${name} IS 'Generated table ${name}';`);
      tables.push({ name, columns });
    } else if (roll < 0.6) {
      const t = pick(tables);
      const col = pick(t.columns);
      const partial = rand() < 0.3 ? ` WHERE ${col} IS NOT NULL` : "";
      lines.push(`CREATE INDEX ${concurrently}IF NOT EXISTS idx_${t.name}_${col}_${indexNo++} ON public.${t.name} (${col}, created_at)${partial};`);
    } else if (roll < 0.8) {
      const t = pick(tables);
      const col = `extra_${i}`;
      lines.push(`ALTER TABLE public.${t.name} ADD COLUMN ${col} text;`);
      lines.push(`ALTER TABLE public.${t.name} ALTER COLUMN ${col} SET DEFAULT '';`);
      t.columns.push(col);
    } else if (roll < 0.9) {
      const t = pick(tables);
      const other = pick(tables);
      const col = `${other.name}_ref_${i}`;
      lines.push(`ALTER TABLE public.${t.name} ADD COLUMN ${col} bigint;`);
      lines.push(
        `ALTER TABLE public.${t.name} ADD CONSTRAINT ${t.name}_${col}_fkey FOREIGN KEY (${col}) REFERENCES public.${other.name} (id) ON DELETE SET NULL NOT VALID;`,
      );
      lines.push(`ALTER TABLE public.${t.name} VALIDATE CONSTRAINT ${t.name}_${col}_fkey;`);
      t.columns.push(col);
    } else {
      const t = pick(tables);
      lines.push(
        `CREATE OR REPLACE FUNCTION public.touch_${t.name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;`,
      );
      lines.push(`UPDATE public.${t.name} SET updated_at = now() WHERE updated_at IS NULL;`);
    }
    if (layout === "supabase") writeFileSync(path.join(dir, `${stamp}_migration_${i}.sql`), lines.join("\n\n") + "\n");
    else if (layout === "prisma") {
      mkdirSync(path.join(dir, `${stamp}_migration_${i}`), { recursive: true });
      writeFileSync(path.join(dir, `${stamp}_migration_${i}`, "migration.sql"), `-- Generated migration ${i}\n` + lines.slice(1).join("\n\n") + "\n");
    } else {
      const tag = `${String(i).padStart(4, "0")}_migration_${i}`;
      writeFileSync(path.join(dir, `${tag}.sql`), lines.slice(1).join("\n--> statement-breakpoint\n") + "\n");
      journal.push({ idx: i, version: "7", when: 1577836800000 + i * 60_000, tag, breakpoints: true });
    }
  }
  if (layout === "prisma") writeFileSync(path.join(dir, "migration_lock.toml"), 'provider = "postgresql"\n');
  if (layout === "drizzle") {
    mkdirSync(path.join(dir, "meta"), { recursive: true });
    writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify({ version: "7", dialect: "postgresql", entries: journal }, null, 2));
  }
  return tables;
}

/** The SQL type of a generated column, from its name (the generator's own naming). */
function columnType(column: string): "bigint" | "text" | "boolean" | "jsonb" | "timestamptz" | "integer" {
  if (column === "id" || column.endsWith("_id") || column.includes("_ref_") || column === "amount_cents") return "bigint";
  if (column === "is_archived") return "boolean";
  if (column === "payload") return "jsonb";
  if (column.endsWith("_at")) return "timestamptz";
  if (column === "priority") return "integer";
  return "text";
}

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const modelName = (table: string) => camel(table).replace(/^./, (c) => c.toUpperCase());

/**
 * Writes the schemas the ORMs declare for the generated tables: `prisma/schema.prisma` (PascalCase models,
 * camelCase fields mapped to the SQL names) and `apps/api/src/db/schema.ts` (Drizzle pgTable declarations).
 */
export function writeOrmSchemas(root: string, tables: GeneratedTable[], which: "both" | "prisma" | "drizzle" = "both"): void {
  const prismaType = { bigint: "BigInt", text: "String", boolean: "Boolean", jsonb: "Json", timestamptz: "DateTime", integer: "Int" } as const;
  const drizzleType = { bigint: "bigint", text: "text", boolean: "boolean", jsonb: "jsonb", timestamptz: "timestamp", integer: "integer" } as const;
  const models = ['datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'];
  const drizzle = [`import { bigint, boolean, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";`, ""];
  for (const t of tables) {
    const fields = t.columns.map((c) => {
      const type = columnType(c);
      const optional = c === "id" || c === "name" || c.endsWith("ed_at") ? "" : "?";
      const attrs = [c === "id" ? "@id" : "", c !== camel(c) ? `@map("${c}")` : ""].filter(Boolean).join(" ");
      return `  ${camel(c)} ${prismaType[type]}${optional}${attrs ? ` ${attrs}` : ""}`;
    });
    models.push(`model ${modelName(t.name)} {\n${fields.join("\n")}\n\n  @@map("${t.name}")\n}\n`);
    const columns = t.columns.map((c) => {
      const type = columnType(c);
      const options = type === "bigint" ? `, { mode: "number" }` : type === "timestamptz" ? `, { withTimezone: true }` : "";
      return `  ${camel(c)}: ${drizzleType[type]}("${c}"${options})${c === "id" ? ".primaryKey()" : ""},`;
    });
    drizzle.push(`export const ${camel(t.name)} = pgTable("${t.name}", {\n${columns.join("\n")}\n});`, "");
  }
  if (which !== "drizzle") {
    mkdirSync(path.join(root, "prisma"), { recursive: true });
    writeFileSync(path.join(root, "prisma", "schema.prisma"), models.join("\n"));
  }
  if (which !== "prisma") {
    mkdirSync(path.join(root, "apps", "api", "src", "db"), { recursive: true });
    writeFileSync(path.join(root, "apps", "api", "src", "db", "schema.ts"), drizzle.join("\n"));
  }
}

/**
 * Writes `count` TypeScript files under `root/apps/api/src`, each with a few queries on the given tables:
 * about 30% supabase-js, 20% raw SQL through pg, 20% Prisma Client, 15% Drizzle and 15% Kysely, beside
 * code that sends no query. Call writeOrmSchemas() too, so the Prisma and Drizzle names resolve.
 */
export function writeCodeFiles(root: string, count: number, tables: GeneratedTable[], seed = 7): void {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, "apps", "api", "src", `module_${Math.floor(i / 100)}`);
    mkdirSync(dir, { recursive: true });
    const parts: string[] = [
      `import { supabase } from "../supabase";`,
      `import { pool } from "../db";`,
      `import { prisma } from "../prisma";`,
      `import { db, kysely } from "../orm";`,
      `import { and, desc, eq, gte } from "drizzle-orm";`,
      `import * as schema from "../db/schema";`,
      "",
    ];
    const queries = 2 + Math.floor(rand() * 4);
    for (let q = 0; q < queries; q++) {
      const t = pick(tables);
      const col = pick(t.columns);
      const client = rand();
      if (client < 0.2) {
        parts.push(
          `export async function list_${i}_${q}(value: string, since: Date) {`,
          `  return prisma.${camel(modelName(t.name)).replace(/^./, (c) => c.toLowerCase())}.findMany({`,
          `    where: { ${camel(col)}: value, createdAt: { gte: since } },`,
          `    orderBy: { createdAt: "desc" },`,
          `    take: 50,`,
          `  });`,
          `}`,
          "",
        );
        continue;
      }
      if (client < 0.35) {
        const table = `schema.${camel(t.name)}`;
        parts.push(
          `export async function recent_${i}_${q}(value: string, since: Date) {`,
          `  return db.select().from(${table})`,
          `    .where(and(eq(${table}.${camel(col)}, value), gte(${table}.createdAt, since)))`,
          `    .orderBy(desc(${table}.createdAt))`,
          `    .limit(50);`,
          `}`,
          "",
        );
        continue;
      }
      if (client < 0.5) {
        parts.push(
          `export async function byValue_${i}_${q}(value: string) {`,
          `  return kysely.selectFrom("${t.name}").select(["id", "name"]).where("${col}", "=", value).orderBy("created_at", "desc").limit(20).execute();`,
          `}`,
          "",
        );
        continue;
      }
      if (client < 0.8) {
        parts.push(
          `export async function load_${i}_${q}(value: string, since: string) {`,
          `  const { data } = await supabase`,
          `    .from("${t.name}")`,
          `    .select("id, name, created_at")`,
          `    .eq("${col}", value)`,
          `    .gte("created_at", since)`,
          `    .order("created_at", { ascending: false })`,
          `    .limit(50);`,
          `  return data ?? [];`,
          `}`,
          "",
        );
      } else {
        parts.push(
          `export async function find_${i}_${q}(value: string) {`,
          `  const result = await pool.query(`,
          `    "SELECT id, name FROM public.${t.name} WHERE ${col} = $1 AND created_at > now() - interval '7 days' ORDER BY created_at DESC LIMIT 20",`,
          `    [value],`,
          `  );`,
          `  return result.rows;`,
          `}`,
          "",
        );
      }
    }
    parts.push(`export function format_${i}(rows: Array<{ name: string }>) {`, `  return rows.map((r) => r.name.trim()).join(", ");`, `}`);
    writeFileSync(path.join(dir, `service_${i}.ts`), parts.join("\n") + "\n");
  }
}
