// Prisma Client calls -> access patterns in the database's names (schema.prisma maps models and fields).
import { beforeAll, describe, expect, it } from "vitest";
import { initParser } from "../../../src/sql/parser.js";
import { brief, briefs, patternsOf } from "./support.js";

const SCHEMA = `
datasource db {
  provider     = "postgresql"
  url          = env("DATABASE_URL")
  relationMode = "prisma"
}
enum Status {
  ACTIVE
  ARCHIVED
  @@map("account_status")
}
model Account {
  id        String    @id
  email     String    @unique
  teamId    String    @map("team_id")
  orgId     String
  status    Status
  name      String?
  meta      Json?
  createdAt DateTime  @default(now()) @map("created_at")
  posts     Post[]
  @@unique([email, teamId])
  @@map("accounts")
}
model Post {
  id        String    @id
  accountId String
  account   Account   @relation(fields: [accountId], references: [id])
  title     String
  published Boolean
  createdAt DateTime
  comments  Comment[]
}
model Comment {
  id     String @id
  postId String
  post   Post   @relation(fields: [postId], references: [id])
  body   String
}`;

const run = (body: string) => briefs(`async function f(prisma, ids, q, d, t) {\n${body}\n}`, { prisma: SCHEMA });

beforeAll(async () => {
  await initParser();
});

describe("Prisma Client: where", () => {
  it("equality, null, in, ranges, not, contains and startsWith with mode insensitive, mapped names", () => {
    expect(run(`await prisma.account.findMany({ where: { teamId: t, name: null, id: { in: ids }, createdAt: { gte: d, lt: q }, orgId: { not: t }, email: { contains: q, mode: "insensitive" } } });`)).toEqual([
      `accounts select: team_id eq param, name is-null literal, id in param, created_at range>= param, created_at range< param, orgId neq param, email like param ci`,
    ]);
    expect(run(`await prisma.account.findFirst({ where: { name: { startsWith: q }, orgId: { not: null }, email: { equals: q } } });`)).toEqual([
      `accounts select: name like-prefix param, orgId is-not-null literal, email eq param | limited`,
    ]);
  });

  it("a Json filter compares a path or the document's content, never the column: no key for an index", () => {
    expect(run(`await prisma.account.findMany({ where: { teamId: t, meta: { path: ["plan"], equals: q } }, orderBy: { createdAt: "desc" }, take: 10 });`)).toEqual([
      `accounts select: team_id eq param, meta other param | order created_at desc | limited`,
    ]);
    expect(run(`await prisma.account.findMany({ where: { meta: { array_contains: [q] } } });`)).toEqual([`accounts select: meta other param`]);
  });

  it("an enum value is a parameter sent inside a cast", () => {
    const [p] = patternsOf(`prisma.account.findMany({ where: { status: "ACTIVE" } })`, { prisma: SCHEMA });
    expect(p.predicates).toEqual([{ column: "status", op: "eq", value: "'ACTIVE'", sentAs: "param", castTo: "account_status" }]);
  });

  it("AND is split, OR and NOT are not; conditional spreads are conditional", () => {
    expect(run(`await prisma.account.findMany({ where: { AND: [{ teamId: t }, { orgId: q }], OR: [{ name: q }, { email: q }], NOT: { status: "ARCHIVED" }, ...(d ? { createdAt: { gt: d } } : {}) } });`)).toEqual([
      `accounts select: team_id eq param, orgId eq param, created_at range> param conditional | or`,
    ]);
  });

  it("a compound unique key, a where held in a variable (not read)", () => {
    expect(run(`await prisma.account.findUnique({ where: { email_teamId: { email: q, teamId: t } } }); await prisma.account.findMany({ where });`)).toEqual([
      `accounts select: email eq param, team_id eq param | limited`,
    ]);
  });

  it("to-many relation filters read the related table by their own filters, never by its foreign key", () => {
    // Prisma sends `id IN (SELECT "accountId" FROM "Post" WHERE published)`: uncorrelated, no accountId = $n.
    expect(run(`await prisma.account.findMany({ where: { posts: { some: { published: true } } } });`)).toEqual([
      `accounts select: `,
      `Post select: published eq true param`,
    ]);
    expect(run(`await prisma.post.findMany({ where: { account: { is: { email: q } } } }); await prisma.account.findMany({ where: { posts: { every: { published: true } } } });`)).toEqual([
      `Post select: accountId in param`,
      `accounts select: id eq param, email eq param`,
      `accounts select: `,
      `Post select: `,
    ]);
  });

  it("a to-one relation filter narrows the table by its foreign key; some, every, none and isNot do not", () => {
    // Prisma sends `"postId" IN (SELECT "id" FROM "Post" WHERE ...)`: an IN on the foreign key.
    expect(run(`await prisma.comment.findMany({ where: { post: { published: true, account: { email: q } }, body: q } });`)).toEqual([
      `Comment select: body eq param, postId in param`,
      `Post select: id eq param, published eq true param, accountId in param`,
      `accounts select: id eq param, email eq param`,
    ]);
    expect(run(`await prisma.comment.findMany({ where: { post: { isNot: { published: true } } } }); await prisma.account.findMany({ where: { posts: { none: { published: true } }, teamId: t } });`)).toEqual([
      `Comment select: `,
      `Post select: `,
      `accounts select: team_id eq param`,
      `Post select: published eq true param`,
    ]);
    // A subquery that keeps a large share of the related rows (a boolean, an enum, a null test) narrows little.
    expect(run(`await prisma.comment.findMany({ where: { post: { published: true, createdAt: { lt: d } } } }); await prisma.post.findMany({ where: { account: { status: "ACTIVE", name: null } } });`)).toEqual([
      `Comment select: `,
      `Post select: id eq param, published eq true param, createdAt range< param`,
      `Post select: `,
      `accounts select: id eq param, status eq 'ACTIVE' param, name is-null literal`,
    ]);
    expect(run(`await prisma.comment.findMany({ where: { ...(q ? { post: { is: { title: q } } } : {}) } });`)).toEqual([
      `Comment select: postId in param conditional`,
      `Post select: id eq param, title eq param`,
    ]);
  });
});

describe("Prisma Client: order, pagination and relations", () => {
  it("orderBy objects and arrays with nulls; take, skip, cursor; distinct is read past", () => {
    expect(run(`await prisma.account.findMany({ where: { teamId: t }, orderBy: [{ createdAt: "desc" }, { name: { sort: "asc", nulls: "last" } }], take: 20, skip: 40, distinct: ["email"] });`)).toEqual([
      `accounts select: team_id eq param | order created_at desc, name nulls last | limited`,
    ]);
    expect(run(`await prisma.post.findMany({ cursor: { id: q }, take: 10, orderBy: { id: "asc" } });`)).toEqual([`Post select: id range>= param | order id | limited`]);
  });

  it("include and select of relations: one query per level, by the relation scalar; scalar fields are not relations", () => {
    expect(run(`await prisma.account.findUnique({ where: { id: q }, include: { posts: { where: { published: true }, orderBy: { createdAt: "desc" }, include: { comments: true } } } });`)).toEqual([
      `accounts select: id eq param | limited`,
      `Post select: accountId in param, published eq true param | order createdAt desc`,
      `Comment select: postId in param`,
    ]);
    expect(run(`await prisma.post.findMany({ select: { id: true, title: true, account: { select: { email: true } } }, relationLoadStrategy: "join" });`)).toEqual([
      `Post select: `,
      `accounts select: id eq param`,
    ]);
  });

  it("_count of a relation reads it by its relation scalar", () => {
    expect(run(`await prisma.account.findMany({ where: { teamId: t }, include: { _count: { select: { posts: true } } } });`)).toEqual([
      `accounts select: team_id eq param`,
      `Post select: accountId eq param`,
    ]);
  });
});

describe("Prisma Client: operations and clients", () => {
  it("count, aggregate, groupBy, update, updateMany, delete, deleteMany, upsert, create", () => {
    expect(
      run(`await prisma.account.count({ where: { teamId: t } });
await prisma.account.aggregate({ where: { teamId: t }, _max: { createdAt: true } });
await prisma.account.groupBy({ by: ["status"], where: { orgId: q } });
await prisma.account.update({ where: { id: q }, data: { name: q } });
await prisma.account.updateMany({ where: { teamId: t }, data: { name: q } });
await prisma.post.delete({ where: { id: q } });
await prisma.post.deleteMany({ where: { accountId: q } });
await prisma.account.upsert({ where: { email: q }, create: { email: q }, update: {} });
await prisma.post.create({ data: { title: q } });`),
    ).toEqual([
      `accounts select: team_id eq param | limited`,
      `accounts select: team_id eq param | limited`,
      `accounts select: orgId eq param`,
      `accounts update: id eq param | limited`,
      `accounts update: team_id eq param`,
      `Post delete: id eq param | limited`,
      `Post delete: accountId eq param`,
      `accounts upsert: email eq param | limited`,
      `Post insert:  | limited`,
    ]);
  });

  it("a transaction client, an extended client, this.prisma; a findMany that is not Prisma's is left alone", () => {
    expect(
      run(`await prisma.$transaction(async (tx) => { await tx.account.findMany({ where: { teamId: t } }); });
const xprisma = prisma.$extends({});
await xprisma.post.findFirst({ where: { title: q } });
await this.prisma.comment.findMany({ where: { postId: q } });
await repository.items.findMany({ where: { a: 1 } });`),
    ).toEqual([`accounts select: team_id eq param`, `Post select: title eq param | limited`, `Comment select: postId eq param`]);
  });

  it("a query in a loop is marked with its loop, and what varies", () => {
    const [p] = patternsOf(`async function f(prisma, ids) { for (const id of ids) { await prisma.post.findUnique({ where: { id } }); } }`, { prisma: SCHEMA });
    expect(brief(p)).toBe(`Post select: id eq param | limited | in loop`);
    // The model's table is named exactly as declared, for a lookup that never folds case.
    expect(p.relation).toEqual({ schema: "public", name: "Post" });
    expect(p.loop).toEqual({ kind: "for...of", line: 1 });
    expect(p.loopUse).toMatchObject({ varies: true, batched: false });
    const [batched] = patternsOf(`async function f(prisma, chunks) { for (const chunk of chunks) { await prisma.post.findMany({ where: { id: { in: chunk } } }); } }`, { prisma: SCHEMA });
    expect(batched.loopUse).toMatchObject({ batched: true });
  });

  it("raw queries keep working through the SQL reader", () => {
    expect(run("await prisma.$queryRaw`SELECT id FROM accounts WHERE team_id = ${t}`; await prisma.$queryRawUnsafe('SELECT id FROM accounts WHERE email = $1', q); await prisma.$executeRaw`DELETE FROM accounts WHERE id = ${q}`;")).toEqual([
      `accounts select: team_id eq param`,
      `accounts select: email eq param`,
      `accounts delete: id eq param`,
    ]);
  });

  it("a model the schema does not declare gives no pattern", () => {
    expect(run(`await prisma.ghost.findMany({ where: { id: q } });`)).toEqual([]);
  });
});
