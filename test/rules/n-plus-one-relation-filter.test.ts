// n-plus-one through a Prisma to-many relation filter: the per-item key is a column of the related
// (join) table, so the batched query reads that table by the keys and joins the filtered model back.
import { beforeAll, expect, it } from "vitest";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { initParser } from "../../src/sql/parser.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";

beforeAll(() => initParser());

const SQL = `
  CREATE TABLE "Tag" (id text PRIMARY KEY, name text NOT NULL);
  CREATE TABLE "TagItem" (id text PRIMARY KEY, "tagId" text NOT NULL REFERENCES "Tag"(id), "linkId" text, "itemType" text NOT NULL);
`;
const PRISMA = `
model Tag { id String @id
  name String
  items TagItem[] }
model TagItem { id String @id
  tagId String
  tag Tag @relation(fields: [tagId], references: [id])
  linkId String?
  itemType String }
`;

it("tags of each link, read through the join table: batch on TagItem.linkId, not Tag.id", () => {
  const code = `import { prisma } from "@acme/prisma";\nexport async function tagsOf(links: { id: string }[]) {\n  return Promise.all(links.map((link) => prisma.tag.findMany({ where: { items: { some: { linkId: link.id, itemType: "LINK_TAG" } } } })));\n}`;
  const patterns = patternsOf(code, { prisma: PRISMA });
  const findings = nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns, problems: [], config: config() });
  expect(findings).toHaveLength(1);
  const [finding] = findings;
  expect(finding.message).toContain("`TagItem.linkId`");
  expect(finding.message).toContain("linkId: { in: ids }");
  expect(finding.message).toContain('WHERE "linkId" = ANY($1)');
  expect(finding.message).not.toMatch(/\bid = ANY|id: \{ in/);
});
