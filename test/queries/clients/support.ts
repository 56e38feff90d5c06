// Shared by the client fixtures: a code file's patterns, resolved through declared schemas, in a compact form.
import type { AccessPattern } from "../../../src/core/types.js";
import { extractFromCodeFile } from "../../../src/queries/code-file.js";
import { declaredNames, resolveDeclaredNames } from "../../../src/queries/clients/declared-names.js";
import { readDrizzleSchema } from "../../../src/schema/declared/drizzle.js";
import { readPrismaSchema } from "../../../src/schema/declared/prisma.js";
import { describePredicate } from "../helpers.js";

export function patternsOf(code: string, declared: { prisma?: string; drizzle?: string } = {}, path = "src/app.ts"): AccessPattern[] {
  const { patterns, problems } = extractFromCodeFile(path, code);
  if (problems.length) throw new Error(problems[0].message);
  // The same readers the audit uses (src/schema/declared/), behind the same DeclaredNames interface.
  const schemas = [
    ...(declared.prisma ? [readPrismaSchema({ files: [{ path: "prisma/schema.prisma", text: declared.prisma }] })] : []),
    ...(declared.drizzle ? [readDrizzleSchema([{ path: "src/schema.ts", text: declared.drizzle }])] : []),
  ];
  for (const read of schemas) if (read.problems.length) throw new Error(read.problems[0].message);
  return resolveDeclaredNames(patterns, declaredNames(schemas.map((r) => r.declared)));
}

/** `table kind: predicates | order | limited | joins | loop`. */
export function brief(p: AccessPattern): string {
  const parts = [`${p.table} ${p.kind}: ${p.predicates.map(describePredicate).join(", ")}`];
  if (p.orderBy.length) parts.push(`order ${p.orderBy.map((o) => `${o.column}${o.descending ? " desc" : ""}${o.nullsFirst === null ? "" : o.nullsFirst ? " nulls first" : " nulls last"}`).join(", ")}`);
  if (p.limited) parts.push("limited");
  if (p.joins.length) parts.push(`joins ${p.joins.map((j) => `${j.table}(${j.columns.join(",")})`).join(" ")}`);
  if (p.hasOr) parts.push("or");
  if (p.inLoop) parts.push("in loop");
  return parts.join(" | ");
}

export function briefs(code: string, declared: { prisma?: string; drizzle?: string } = {}): string[] {
  return patternsOf(code, declared).map(brief);
}
