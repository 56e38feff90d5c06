// n-plus-one and pagination: a loop that reads a table page by page, each page starting where the
// previous one ended, sends one set-based query per page. It is neither N+1 nor a query to hoist.
import { beforeAll, describe, expect, it } from "vitest";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { initParser } from "../../src/sql/parser.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";

beforeAll(() => initParser());

const SQL = `
  CREATE TABLE "Lead" (id text PRIMARY KEY, "orgId" text NOT NULL, email text);
  CREATE TABLE leads (id uuid PRIMARY KEY, org_id uuid NOT NULL, email text);
`;
const PRISMA = `model Lead { id String @id
  orgId String
  email String? }`;
const head = 'import { prisma } from "@acme/prisma";\n';

function prismaFindings(code: string) {
  const patterns = patternsOf(head + code, { prisma: PRISMA });
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns, problems: [], config: config() });
}

function supabaseFindings(code: string) {
  const result = extractFromCodeFile("src/jobs.ts", `import { supabase } from "./client";\n${code}`);
  expect(result.problems).toEqual([]);
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns: result.patterns, problems: [], config: config() });
}

describe("n-plus-one: keyset and cursor pagination is not a repeated query", () => {
  it.each([
    [
      "a Prisma cursor in a spread, moved to the last row of each page",
      `export async function sync(orgId: string) {\n  let cursorId: string | undefined;\n  for (;;) {\n    const page = await prisma.lead.findMany({ where: { orgId }, orderBy: { id: "asc" }, take: 100, ...(cursorId ? { skip: 1, cursor: { id: cursorId } } : {}) });\n    if (page.length < 100) break;\n    cursorId = page[page.length - 1].id;\n  }\n}`,
    ],
    [
      "a Prisma cursor in a do...while",
      `export async function sync(orgId: string) {\n  let c: string | undefined;\n  do {\n    const page = await prisma.lead.findMany({ where: { orgId }, take: 100, cursor: c ? { id: c } : undefined, skip: c ? 1 : 0 });\n    c = page.at(-1)?.id;\n  } while (c);\n}`,
    ],
    [
      "a Prisma range on the key, the last id carried over",
      `export async function sync(orgId: string) {\n  let lastId = "";\n  while (true) {\n    const page = await prisma.lead.findMany({ where: { orgId, id: { gt: lastId } }, orderBy: { id: "asc" }, take: 500 });\n    if (page.length === 0) break;\n    lastId = page[page.length - 1].id;\n  }\n}`,
    ],
  ])("%s: no finding", (_name, code) => {
    expect(prismaFindings(code)).toEqual([]);
  });

  it("supabase-js .gt() on the key with the last id carried over: no finding", () => {
    const code = `export async function sync(org: string) {\n  let last = "00000000-0000-0000-0000-000000000000";\n  for (;;) {\n    const { data } = await supabase.from("leads").select("id, email").eq("org_id", org).gt("id", last).order("id").limit(1000);\n    if (!data?.length) break;\n    last = data[data.length - 1].id;\n  }\n}`;
    expect(supabaseFindings(code)).toEqual([]);
  });

  it("a query that really does not change inside the same for (;;) is still reported as repeated", () => {
    const code = `export async function sync(orgId: string) {\n  let n = 0;\n  for (;;) {\n    const page = await prisma.lead.findMany({ where: { orgId }, take: 100 });\n    n += page.length;\n    if (n > 1000) break;\n  }\n}`;
    expect(prismaFindings(code).map((f) => f.message)).toEqual([expect.stringContaining("runs the same query on `Lead`")]);
  });

  it("a per-item range over a collection, with no page size, is still a query per item", () => {
    const code = `export async function load(items: { since: string }[]) {\n  for (const item of items) {\n    await prisma.lead.findMany({ where: { email: { gt: item.since } } });\n  }\n}`;
    const [finding] = prismaFindings(code);
    expect(finding?.message).toContain("N+1");
  });
});
