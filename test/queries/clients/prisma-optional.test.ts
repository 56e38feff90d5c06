// Prisma filters whose value may be undefined: Prisma Client leaves such a filter out of the query
// (Prisma Client docs, "Null and undefined"), so the query also runs without it. The reader marks it
// conditional, from what the TypeScript source declares: an optional parameter, a destructured option
// with no default whose type marks it optional, or a type that admits `undefined`. A sort key computed
// from an option with a default (`orderBy?.column ?? "createdAt"`) is read as that default.
import { beforeAll, describe, expect, it } from "vitest";
import { initParser } from "../../../src/sql/parser.js";
import { briefs } from "./support.js";

beforeAll(() => initParser());

const PRISMA = `
enum EntryKind {
  SIGN_IN
  SIGN_OUT
  PASSWORD_RESET
  PASSKEY_ADDED
}
model Entry {
  id Int @id
  accountId Int
  kind EntryKind
  createdAt DateTime
}
`;
const head = 'import { prisma } from "@acme/prisma";\n';
const read = (code: string) => briefs(head + code, { prisma: PRISMA });

describe("Prisma: a filter whose value may be undefined is optional", () => {
  it("a destructured option typed optional in a type alias, with no default, is conditional; the default sort key is read", () => {
    expect(read(`export type ListOptions = { accountId: number; kind?: EntryKind; page?: number; sort?: { column: string; direction: "asc" | "desc" } };
export const listEntries = async ({ accountId, kind, page = 1, sort }: ListOptions) => {
  const column = sort?.column ?? "createdAt";
  const direction = sort?.direction ?? "desc";
  const where = { accountId, kind };
  return prisma.entry.findMany({ where, take: 10, skip: (page - 1) * 10, orderBy: { [column]: direction } });
};`)).toEqual(["Entry select: accountId eq param, kind eq param conditional | order createdAt desc | limited"]);
  });

  it("an interface member, an optional parameter and `X | undefined` are optional too", () => {
    expect(read(`interface Filter { accountId: number; kind?: EntryKind }
export async function a({ accountId, kind }: Filter) {
  return prisma.entry.findMany({ where: { accountId, kind } });
}
export async function b(accountId: number, kind?: EntryKind) {
  return prisma.entry.findMany({ where: { accountId, kind } });
}
export async function c(accountId: number, kind: EntryKind | undefined) {
  return prisma.entry.findMany({ where: { accountId, kind: { equals: kind } } });
}`)).toEqual([
      "Entry select: accountId eq param, kind eq param conditional",
      "Entry select: accountId eq param, kind eq param conditional",
      "Entry select: accountId eq param, kind eq param conditional",
    ]);
  });

  it("a test that the value is given narrows it, as TypeScript does: inside the if, and after an early return", () => {
    expect(read(`export async function a(accountId: number, entryId?: number) {
  if (entryId) {
    return prisma.entry.findFirst({ where: { accountId, id: entryId } });
  }
  return null;
}
export async function b({ accountId, entryId }: { accountId: number; entryId?: number }) {
  if (!entryId) return null;
  return prisma.entry.findFirst({ where: { accountId, id: entryId } });
}
export async function c(accountId: number, kind?: EntryKind) {
  if (kind !== undefined && accountId > 0) return prisma.entry.findMany({ where: { accountId, kind } });
  return prisma.entry.findMany({ where: { accountId, kind } });
}`)).toEqual([
      "Entry select: accountId eq param, id eq param | limited",
      "Entry select: accountId eq param, id eq param | limited",
      "Entry select: accountId eq param, kind eq param",
      "Entry select: accountId eq param, kind eq param conditional",
    ]);
  });

  it("a value chosen between a filter and undefined is conditional", () => {
    expect(read(`export async function a(accountId: number, kinds: EntryKind[]) {
  return prisma.entry.findMany({ where: { accountId, kind: kinds.length > 0 ? { in: kinds } : undefined } });
}`)).toEqual(["Entry select: accountId eq param, kind in param conditional"]);
  });

  it("a default, a required member or a name rebound in the body keeps the filter fixed", () => {
    expect(read(`type Filter = { accountId: number; kind?: EntryKind };
export async function a({ accountId, kind = "SIGN_IN" }: Filter) {
  return prisma.entry.findMany({ where: { accountId, kind } });
}
export async function b({ accountId, kind }: { accountId: number; kind: EntryKind }) {
  return prisma.entry.findMany({ where: { accountId, kind } });
}
export async function c(accountId: number, maybe?: EntryKind) {
  const kind = maybe ?? "SIGN_IN";
  return prisma.entry.findMany({ where: { accountId, kind } });
}`)).toEqual([
      "Entry select: accountId eq param, kind eq param",
      "Entry select: accountId eq param, kind eq param",
      "Entry select: accountId eq param, kind eq param",
    ]);
  });
});
