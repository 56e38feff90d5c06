// Application code shaped like a web application's: React components, utilities, route handlers and
// hooks, most of which never touch the database, and a small share of data-access modules that query it
// through the repository's ORM (Prisma Client or Drizzle). The other files call methods that share a
// name with a query method (`Array.from`, `hash.update`, `z.any()`, a router's `.query(...)`), as real
// code does, so that the quick test before parsing meets what it meets on real repositories.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { prng } from "./generate.js";

interface Table {
  name: string;
  columns: string[];
}

/** The client a web application's data-access modules query through. */
export type WebAppClient = "prisma" | "drizzle" | "supabase-js";

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const accessor = (table: string) => camel(table);

/** Lines that call a method named like a query method on something that is not a database client. */
const LOOKALIKES = [
  `  const unique = Array.from(new Set(values));`,
  `  const bytes = Buffer.from(value, "utf8").toString("base64");`,
  `  const digest = createHash("sha256").update(value).digest("hex");`,
  `  params.delete("page");`,
  `  cache.delete(key);`,
  `  const copy = Object.create(null) as Record<string, string>;`,
  `  const total = React.Children.count(children);`,
  `  const url = storage.from("avatars").getPublicUrl(path).data.publicUrl;`,
];

function component(i: number, rand: () => number): string {
  const name = `Panel${i}`;
  const lookalike = rand() < 0.15 ? LOOKALIKES[Math.floor(rand() * LOOKALIKES.length)] : "";
  return [
    `import React, { useMemo, useState } from "react";`,
    `import { createHash } from "node:crypto";`,
    `import { formatDate, slugify } from "../../lib/format_${i % 37}";`,
    "",
    `export interface ${name}Props {`,
    `  title: string;`,
    `  items: Array<{ id: string; label: string; createdAt: string }>;`,
    `  onSelect?: (id: string) => void;`,
    `  children?: React.ReactNode;`,
    `}`,
    "",
    `export function ${name}({ title, items, onSelect, children }: ${name}Props) {`,
    `  const [filter, setFilter] = useState("");`,
    `  const value = filter.trim();`,
    `  const values = items.map((item) => item.label);`,
    `  const params = new URLSearchParams(value);`,
    `  const cache = new Map<string, string>();`,
    `  const key = slugify(title);`,
    `  const storage = { from: (_: string) => ({ getPublicUrl: (p: string) => ({ data: { publicUrl: p } }) }) };`,
    `  const path = key;`,
    lookalike,
    `  const visible = useMemo(() => items.filter((item) => item.label.toLowerCase().includes(value.toLowerCase())), [items, value]);`,
    `  return (`,
    `    <section className="panel" aria-label={title}>`,
    `      <header className="panel__header">`,
    `        <h2>{title}</h2>`,
    `        <input value={filter} onChange={(event) => setFilter(event.target.value)} placeholder="Filter" />`,
    `      </header>`,
    `      <ul>`,
    `        {visible.map((item) => (`,
    `          <li key={item.id} onClick={() => onSelect?.(item.id)}>`,
    `            <span>{item.label}</span>`,
    `            <time dateTime={item.createdAt}>{formatDate(item.createdAt)}</time>`,
    `          </li>`,
    `        ))}`,
    `      </ul>`,
    `      {children}`,
    `    </section>`,
    `  );`,
    `}`,
    "",
  ].join("\n");
}

function utility(i: number, rand: () => number): string {
  const lookalike = rand() < 0.15 ? LOOKALIKES[Math.floor(rand() * LOOKALIKES.length)] : "";
  return [
    `import { z } from "zod";`,
    `import { createHash } from "node:crypto";`,
    "",
    `export const settings${i} = z.object({ name: z.string().min(1), extra: z.${rand() < 0.25 ? "any" : "unknown"}().optional(), count: z.number().int() });`,
    `export type Settings${i} = z.infer<typeof settings${i}>;`,
    "",
    `export function formatDate(value: string | Date, locale = "en-US"): string {`,
    `  const date = typeof value === "string" ? new Date(value) : value;`,
    `  return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(date);`,
    `}`,
    "",
    `export function slugify(value: string): string {`,
    `  const params = new URLSearchParams();`,
    `  const cache = new Map<string, string>();`,
    `  const key = value;`,
    `  const values = value.split("");`,
    `  const children = null;`,
    `  const React = { Children: { count: (_: unknown) => 0 } };`,
    `  const storage = { from: (_: string) => ({ getPublicUrl: (p: string) => ({ data: { publicUrl: p } }) }) };`,
    `  const path = key;`,
    lookalike,
    `  return value.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");`,
    `}`,
    "",
    `export function chunk<T>(list: T[], size: number): T[][] {`,
    `  const out: T[][] = [];`,
    `  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));`,
    `  return out;`,
    `}`,
    "",
  ].join("\n");
}

function routeHandler(i: number, queryModules: string[], rand: () => number): string {
  // A route handler reaches the database through a data-access module it imports, never directly.
  const module = queryModules.length ? queryModules[Math.floor(rand() * queryModules.length)] : undefined;
  return [
    `import { z } from "zod";`,
    module ? `import * as data from "../../server/queries/${module}";` : `const data = { list: async (_: string) => [] as unknown[] };`,
    "",
    `const input = z.object({ id: z.string(), cursor: z.string().optional(), meta: z.record(z.string(), z.string()) });`,
    "",
    ...(rand() < 0.4
      ? [
          `export const router${i} = t.router({`,
          `  list: protectedProcedure.input(input).query(async ({ ctx, input }) => {`,
          `    if (!ctx.session) throw new Error("unauthorized");`,
          `    return { items: [], next: input.cursor ?? null };`,
          `  }),`,
          `});`,
          "",
        ]
      : []),
    `export async function GET(request: Request): Promise<Response> {`,
    `  const url = new URL(request.url);`,
    `  const parsed = input.safeParse(Object.fromEntries(url.searchParams));`,
    `  if (!parsed.success) return Response.json({ error: parsed.error.message }, { status: 400 });`,
    module ? `  const rows = await Promise.all(Object.values(data).map((load) => (load as (id: string) => Promise<unknown>)(parsed.data.id)));` : `  const rows = await data.list(parsed.data.id);`,
    `  const next = new URL(url);`,
    `  return Response.json({ rows, next: next.toString() });`,
    `}`,
    "",
  ].join("\n");
}

function prismaQueries(i: number, tables: Table[], rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const out = [`import { prisma } from "../db";`, ""];
  for (let q = 0; q < 2 + Math.floor(rand() * 3); q++) {
    const t = pick(tables);
    const col = camel(pick(t.columns));
    out.push(
      `export async function list_${i}_${q}(value: string, since: Date) {`,
      `  return prisma.${accessor(t.name)}.findMany({`,
      `    where: { ${col}: value, createdAt: { gte: since } },`,
      `    orderBy: { createdAt: "desc" },`,
      `    take: 50,`,
      `  });`,
      `}`,
      "",
      `export async function touch_${i}_${q}(id: bigint) {`,
      `  return prisma.${accessor(t.name)}.update({ where: { id }, data: { updatedAt: new Date() } });`,
      `}`,
      "",
    );
  }
  return out.join("\n");
}

function supabaseQueries(i: number, tables: Table[], rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const out = [`import { supabase } from "../supabase";`, ""];
  for (let q = 0; q < 2 + Math.floor(rand() * 3); q++) {
    const t = pick(tables);
    out.push(
      `export async function load_${i}_${q}(value: string, since: string) {`,
      `  const { data, error } = await supabase`,
      `    .from("${t.name}")`,
      `    .select("id, name, created_at")`,
      `    .eq("${pick(t.columns)}", value)`,
      `    .gte("created_at", since)`,
      `    .order("created_at", { ascending: false })`,
      `    .limit(50);`,
      `  if (error) throw error;`,
      `  return data ?? [];`,
      `}`,
      "",
    );
  }
  return out.join("\n");
}

function drizzleQueries(i: number, tables: Table[], rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const out = [`import { and, desc, eq, gte } from "drizzle-orm";`, `import { db } from "../db";`, `import * as schema from "../../../../api/src/db/schema";`, ""];
  for (let q = 0; q < 2 + Math.floor(rand() * 3); q++) {
    const t = pick(tables);
    const table = `schema.${camel(t.name)}`;
    out.push(
      `export async function recent_${i}_${q}(value: string, since: Date) {`,
      `  return db.select().from(${table})`,
      `    .where(and(eq(${table}.${camel(pick(t.columns))}, value), gte(${table}.createdAt, since)))`,
      `    .orderBy(desc(${table}.createdAt))`,
      `    .limit(50);`,
      `}`,
      "",
      `export async function remove_${i}_${q}(id: number) {`,
      `  return db.delete(${table}).where(eq(${table}.id, id));`,
      `}`,
      "",
    );
  }
  return out.join("\n");
}

/**
 * Writes `count` files under `root/apps/web/src`: `queryShare` of them data-access modules querying the
 * given tables through `client`, the rest components (.tsx), utilities and route handlers. For Prisma and
 * Drizzle call writeOrmSchemas() too, so the model and table names resolve. Returns how many query modules it wrote.
 */
export function writeWebApp(root: string, count: number, tables: Table[], client: WebAppClient, options: { queryShare?: number; seed?: number } = {}): number {
  const rand = prng(options.seed ?? 11);
  const src = path.join(root, "apps", "web", "src");
  const queryModules: string[] = [];
  const every = Math.max(1, Math.round(1 / (options.queryShare ?? 0.02)));
  for (let i = 0; i < count; i++) {
    const group = `feature_${Math.floor(i / 80)}`;
    let file: string;
    let text: string;
    if (i % every === every - 1) {
      const name = `queries_${i}`;
      queryModules.push(name);
      file = path.join(src, "server", "queries", `${name}.ts`);
      text = client === "prisma" ? prismaQueries(i, tables, rand) : client === "drizzle" ? drizzleQueries(i, tables, rand) : supabaseQueries(i, tables, rand);
    } else {
      const kind = rand();
      if (kind < 0.45) [file, text] = [path.join(src, "components", group, `panel_${i}.tsx`), component(i, rand)];
      else if (kind < 0.75) [file, text] = [path.join(src, "lib", group, `format_${i}.ts`), utility(i, rand)];
      else [file, text] = [path.join(src, "app", group, `route_${i}.ts`), routeHandler(i, queryModules, rand)];
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  mkdirSync(path.join(src, "server"), { recursive: true });
  const clientModule = {
    prisma: [`db.ts`, `import { PrismaClient } from "@prisma/client";\nexport const prisma = new PrismaClient();\n`],
    drizzle: [`db.ts`, `import { drizzle } from "drizzle-orm/node-postgres";\nexport const db = drizzle(process.env.DATABASE_URL!);\n`],
    "supabase-js": [`supabase.ts`, `import { createClient } from "@supabase/supabase-js";\nexport const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_ANON_KEY!);\n`],
  }[client];
  writeFileSync(path.join(src, "server", clientModule[0]), clientModule[1]);
  return queryModules.length;
}
