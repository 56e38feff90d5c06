// A declared schema that describes the database another tool's migrations build (a Prisma or Drizzle client
// over Supabase migrations) joins that database: one migration set, and the ORM's calls resolve against it.
import { beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../../src/audit.js";
import { DEFAULT_CONFIG } from "../../../src/core/config.js";
import { memorySource } from "../../queries/support/audit-oracle.js";

const FILES: Record<string, string> = {
  "supabase/migrations/20240101000000_init.sql":
    "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), status text NOT NULL);\n",
  "prisma/schema.prisma": [
    'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}',
    'model Account {\n  id    BigInt @id\n  email String\n  invoices Invoice[]\n  @@map("accounts")\n}',
    'model Invoice {\n  id        BigInt  @id\n  accountId BigInt  @map("account_id")\n  status    String\n  account   Account @relation(fields: [accountId], references: [id])\n  @@map("invoices")\n}',
  ].join("\n\n"),
  "src/db/schema.ts": [
    'import { bigint, pgTable, text } from "drizzle-orm/pg-core";',
    'export const accounts = pgTable("accounts", { id: bigint("id", { mode: "number" }).primaryKey(), email: text("email").notNull() });',
  ].join("\n"),
  "src/invoices.ts": [
    'import { prisma } from "./prisma";',
    'import { db } from "./db";',
    'import { eq } from "drizzle-orm";',
    'import { accounts } from "./db/schema";',
    "export async function open(status: string) {",
    "  return prisma.invoice.findMany({ where: { status } });",
    "}",
    "export async function byEmail(email: string) {",
    "  return db.select().from(accounts).where(eq(accounts.email, email));",
    "}",
  ].join("\n"),
};

let result: AuditResult;
beforeAll(async () => {
  result = await audit(memorySource(FILES), { config: DEFAULT_CONFIG });
}, 60_000);

describe("a Prisma and a Drizzle declaration of the database Supabase migrations build", () => {
  it("is one database: one migration set holding both declarations", () => {
    expect(result.sets.map((s) => s.set.framework)).toEqual(["supabase"]);
    expect(result.sets[0].declared?.files.sort()).toEqual(["prisma/schema.prisma", "src/db/schema.ts"]);
  });

  it("reads the Prisma and Drizzle calls against it, once each", () => {
    const patterns = result.sets[0].patterns.filter((p) => p.source === "prisma" || p.source === "drizzle");
    expect(patterns.map((p) => `${p.source} ${p.table} ${p.predicates.map((q) => q.column).join(",")}`).sort()).toEqual([
      "drizzle accounts email",
      "prisma invoices status",
    ]);
    const advised = result.findings.filter((f) => f.rule === "query-index").map((f) => `${f.table}(${f.columns.join(", ")})`).sort();
    expect(advised).toEqual(["public.accounts(email)", "public.invoices(status)"]);
  });
});
