// Prisma filters held in a local const (`const range = { gte: a, lt: b }`) and to-many relation filters:
// what PostgreSQL receives, read the way Prisma Client builds it ("Filter conditions and operators",
// "Relation filters" in the Prisma Client API reference).
import { beforeAll, describe, expect, it } from "vitest";
import { initParser } from "../../../src/sql/parser.js";
import { briefs } from "./support.js";

beforeAll(() => initParser());

const PRISMA = `
model Viewer { id String @id
  teamId String
  views View[] }
model View { id String @id
  viewerId String?
  viewer Viewer? @relation(fields: [viewerId], references: [id])
  viewedAt DateTime
  isArchived Boolean }
`;
const head = 'import { prisma } from "@acme/prisma";\n';
const read = (code: string) => briefs(head + code, { prisma: PRISMA });

describe("Prisma: a filter object held in a const", () => {
  it("a const range is a range, not an equality", () => {
    expect(read(`export async function a(v: string, s: Date, e: Date) {\n  const f = { gte: s, lt: e };\n  return prisma.view.findMany({ where: { viewerId: v, viewedAt: f } });\n}`)).toEqual([
      "View select: viewerId eq param, viewedAt range>= param, viewedAt range< param",
    ]);
  });

  it("a const spread into where adds its conditions", () => {
    expect(read(`export async function a(v: string, s: Date) {\n  const recent = { viewedAt: { gte: s }, isArchived: false };\n  return prisma.view.findMany({ where: { viewerId: v, ...recent } });\n}`)).toEqual([
      "View select: viewerId eq param, viewedAt range>= param, isArchived eq false param",
    ]);
  });

  it("operators spread in on some code paths are conditional; an unknown spread leaves some condition", () => {
    expect(read(`export async function a(v: string, s: Date, e: Date, cut?: Date) {
  const f: any = { gte: s, ...(cut && cut < e ? { lt: cut } : { lte: e }) };
  return prisma.view.findMany({ where: { viewerId: v, viewedAt: f } });
}`)).toEqual([
      "View select: viewerId eq param, viewedAt range>= param, viewedAt range< param conditional, viewedAt range<= param conditional",
    ]);
    expect(read(`export async function a(v: string, s: Date, upper: object) {
  return prisma.view.findMany({ where: { viewerId: v, viewedAt: { gte: s, ...upper } } });
}`)).toEqual([
      "View select: viewerId eq param, viewedAt other param",
    ]);
  });

  it("a filter object the reader cannot resolve is some condition on the column, not an equality", () => {
    expect(read(`export async function a(v: string, dateRange: { gte: Date }) {\n  return prisma.view.findMany({ where: { viewerId: v, viewedAt: dateRange } });\n}`)).toEqual([
      "View select: viewerId eq param, viewedAt other param",
    ]);
  });

  it("a to-one relation filter built by a function call is some condition on the foreign key: a write is kept, a read left out", () => {
    expect(read(`import { viewerWhere } from "./where";\nexport async function a(id: string, teamId: string) {\n  return prisma.view.delete({ where: { id, viewer: viewerWhere({ teamId }) } });\n}`)).toEqual([
      "View delete: id eq param, viewerId other param | limited",
    ]);
    expect(read(`import { viewerWhere } from "./where";\nexport async function a(teamId: string) {\n  return prisma.view.findMany({ where: { isArchived: false, viewer: viewerWhere({ teamId }) } });\n}`)).toEqual([]);
  });

  it("a const of another function, or a parameter of the same name, is not resolved", () => {
    expect(read(`const f = { gte: new Date() };\nexport async function a(v: string, f: Date) {\n  return prisma.view.findMany({ where: { viewerId: v, viewedAt: f } });\n}`)).toEqual([
      "View select: viewerId eq param, viewedAt eq param",
    ]);
  });
});

describe("Prisma: some / none / every are semi- and anti-joins", () => {
  it("views: { some: ... } reads View by its own filters, not by View.viewerId = $n", () => {
    expect(read(`export async function a(t: string, s: Date, e: Date) {\n  const intervalFilter = { gte: s, lte: e };\n  return prisma.viewer.findMany({ where: { teamId: t, views: { some: { viewedAt: intervalFilter, isArchived: false } } } });\n}`)).toEqual([
      "Viewer select: teamId eq param",
      "View select: viewedAt range>= param, viewedAt range<= param, isArchived eq false param",
    ]);
  });
});
