// Drizzle query builder and relational queries -> access patterns in the database's names (pgTable keys -> columns).
import { beforeAll, describe, expect, it } from "vitest";
import { initParser } from "../../../src/sql/parser.js";
import { briefs, patternsOf } from "./support.js";

const SCHEMA = `
import { relations } from "drizzle-orm";
import { pgSchema, pgTable, uuid, text, timestamp, boolean, integer } from "drizzle-orm/pg-core";
const billing = pgSchema("billing");
export const users = pgTable("users", { id: uuid("id").primaryKey(), teamId: uuid("team_id").notNull(), email: text("email"), age: integer() });
export const posts = pgTable("posts", (t) => ({ id: t.uuid("id").primaryKey(), authorId: t.uuid("author_id").references(() => users.id), published: boolean("published"), createdAt: timestamp("created_at") }));
export const comments = pgTable("comments", { id: uuid("id").primaryKey(), postId: uuid("post_id").references(() => posts.id), body: text("body") });
export const invoices = billing.table("invoices", { id: uuid("id").primaryKey(), userId: uuid("user_id") });
export const usersRelations = relations(users, ({ many }) => ({ posts: many(posts) }));
export const postsRelations = relations(posts, ({ one, many }) => ({ author: one(users, { fields: [posts.authorId], references: [users.id] }), comments: many(comments) }));
`;

const run = (body: string) => briefs(`import { and, or, eq, ne, gt, gte, lt, lte, inArray, notInArray, isNull, isNotNull, between, like, ilike, asc, desc, sql } from "drizzle-orm";\nasync function f(db, ids, q, d, t) {\n${body}\n}`, { drizzle: SCHEMA });

beforeAll(async () => {
  await initParser();
});

describe("Drizzle query builder", () => {
  it("where over and, eq, ne, ranges, inArray, notInArray, isNull, isNotNull, between, like, ilike; column keys mapped", () => {
    expect(run(`await db.select().from(users).where(and(eq(users.teamId, t), ne(users.email, q), gt(users.age, 18), lte(users.age, 65), inArray(users.id, ids), notInArray(users.teamId, ids), isNull(users.email)));`)).toEqual([
      `users select: team_id eq param, email neq param, age range> 18 param, age range<= 65 param, id in param, team_id other param, email is-null literal`,
    ]);
    expect(run(`await db.select({ id: posts.id }).from(posts).where(and(isNotNull(posts.createdAt), between(posts.createdAt, d, q), like(posts.id, q), ilike(posts.id, q)));`)).toEqual([
      `posts select: created_at is-not-null literal, created_at range>= param, created_at range<= param, id like param, id like param ci`,
    ]);
  });

  it("or is not split; a condition chosen in code is conditional; a fragment compared with a column leaves the query unread", () => {
    expect(run(`await db.select().from(users).where(and(eq(users.teamId, t), or(eq(users.email, q), eq(users.email, d)), d ? gte(users.age, d) : undefined));`)).toEqual([
      `users select: team_id eq param, age range>= param conditional | or`,
    ]);
    expect(run("await db.select().from(users).where(eq(users.email, sql`lower(${q})`));")).toEqual([]);
  });

  it("a condition written as an sql fragment: an OR in its text, a null test, a comparison, or a filter of unknown share", () => {
    // OR in the text: an OR the reader does not split, never equalities on the columns it names.
    expect(run("await db.select().from(posts).where(and(eq(posts.authorId, q), sql`(${posts.id} = ${d} OR ${posts.published} = ${t})`));")).toEqual([
      `posts select: author_id eq param | or`,
    ]);
    // The whole text a null test or a comparison of one column with a value: read as isNull / eq / gt write it.
    expect(run("await db.select().from(users).where(and(eq(users.teamId, t), sql`${users.email} is not null`, sql`${users.age} IS NULL`));")).toEqual([
      `users select: team_id eq param, email is-not-null literal, age is-null literal`,
    ]);
    expect(run("await db.select().from(posts).where(and(sql`${posts.authorId} = ${q}`, sql`${posts.createdAt} >= ${d}`));")).toEqual([
      `posts select: author_id eq param, created_at range>= param`,
    ]);
    expect(run("await db.select().from(posts).where(and(sql`${posts.authorId} = ${q}`, sql`${posts.createdAt} >= ${d}`));")).toEqual(run(`await db.select().from(posts).where(and(eq(posts.authorId, q), gte(posts.createdAt, d)));`));
    // Other text naming columns: each is filtered in a way the reader does not know; the query keeps its other conditions.
    expect(run("await db.select().from(users).where(and(eq(users.teamId, t), sql`lower(${users.email}) = ${q}`));")).toEqual([
      `users select: team_id eq param, email other param`,
    ]);
    expect(run("await db.select().from(users).where(and(eq(users.teamId, t), d ? sql`${users.age} % 2 = 0` : undefined));")).toEqual([
      `users select: team_id eq param, age other param conditional`,
    ]);
    // Naming no column of the query (an EXISTS over another table, sql.raw): neither an OR nor a column's filter, so not read.
    expect(run("await db.select().from(users).where(and(eq(users.teamId, t), sql`exists (select 1 from ${posts} where ${eq(posts.authorId, users.id)})`));")).toEqual([]);
    expect(run("await db.update(users).set({ age: 1 }).where(and(eq(users.id, q), sql.raw(d)));")).toEqual([]);
  });

  it("orderBy with asc and desc, limit and offset; a schema-qualified table", () => {
    expect(run(`await db.select().from(posts).where(eq(posts.authorId, q)).orderBy(desc(posts.createdAt), asc(posts.id)).limit(20).offset(40);`)).toEqual([
      `posts select: author_id eq param | order created_at desc, id | limited`,
    ]);
    expect(run(`await db.select().from(invoices).where(eq(invoices.userId, q));`)).toEqual([`billing.invoices select: user_id eq param`]);
  });

  it("innerJoin and leftJoin: the join condition is an access pattern on the joined table", () => {
    expect(run(`await db.select().from(users).innerJoin(posts, eq(posts.authorId, users.id)).leftJoin(comments, eq(comments.postId, posts.id)).where(eq(users.teamId, t));`)).toEqual([
      `users select: team_id eq param | joins posts(author_id)`,
      `posts select: author_id eq param | joins comments(post_id)`,
      `comments select: post_id eq param`,
    ]);
  });

  it("update, delete and insert", () => {
    expect(run(`await db.update(users).set({ email: q }).where(eq(users.id, q)); await db.delete(posts).where(eq(posts.authorId, q)); await db.insert(comments).values({ body: q }); cache.delete(key);`)).toEqual([
      `users update: id eq param`,
      `posts delete: author_id eq param`,
      `comments insert: `,
    ]);
  });

  it(".prepare() with sql.placeholder(): a parameter, counted where the statement is defined", () => {
    expect(briefs(`import { eq, sql } from "drizzle-orm";\nexport const byEmail = db.select().from(users).where(eq(users.email, sql.placeholder("email"))).prepare("by_email");`, { drizzle: SCHEMA })).toEqual([
      `users select: email eq param`,
    ]);
  });

  it("a builder kept in a variable and extended in a branch: a limit on one path only does not bound it", () => {
    expect(run(`let query = db.select().from(posts).where(eq(posts.authorId, q)).$dynamic(); if (d) query = query.limit(5); return await query;`)).toEqual([
      `posts select: author_id eq param`,
    ]);
  });

  it("a query per item of a loop", () => {
    const [p] = patternsOf(`async function f(db, ids) { for (const id of ids) await db.select().from(posts).where(eq(posts.authorId, id)); }`, { drizzle: SCHEMA });
    expect(p).toMatchObject({ table: "posts", inLoop: true, loop: { kind: "for...of" }, loopUse: { varies: true } });
  });
});

describe("Drizzle relational queries", () => {
  it("the callback syntax: where, orderBy, limit, and with reading the child by its foreign key", () => {
    expect(run(`await db.query.users.findMany({ where: (u, { eq }) => eq(u.teamId, t), orderBy: (u, { desc }) => [desc(u.age)], limit: 10, with: { posts: { where: (p, { eq }) => eq(p.published, true), orderBy: (p, { desc }) => desc(p.createdAt), limit: 3, with: { comments: true } } } });`)).toEqual([
      `users select: team_id eq param | order age desc | limited`,
      `posts select: author_id eq param, published eq true param | order created_at desc | limited`,
      `comments select: post_id eq param`,
    ]);
  });

  it("the object filter syntax, findFirst, a one() relation", () => {
    expect(run(`await db.query.posts.findFirst({ where: { published: true, createdAt: { gt: d }, authorId: { isNotNull: true }, OR: [{ id: q }] }, orderBy: { createdAt: "desc" }, with: { author: true } });`)).toEqual([
      `posts select: published eq true param, created_at range> param, author_id is-not-null literal | order created_at desc | limited | or`,
      `users select: id eq param`,
    ]);
  });

  it("a many() whose table declares no foreign key reads it by the columns the other side's one() names", () => {
    // relations() only, no .references(): the join lives in the application, declared before its other side.
    const loose = `
import { relations } from "drizzle-orm";
import { pgTable, uuid } from "drizzle-orm/pg-core";
export const teams = pgTable("teams", { id: uuid("id").primaryKey() });
export const teamsRelations = relations(teams, ({ many }) => ({ members: many(members) }));
export const members = pgTable("members", { id: uuid("id").primaryKey(), teamId: uuid("team_id") });
export const membersRelations = relations(members, ({ one }) => ({ team: one(teams, { fields: [members.teamId], references: [teams.id] }) }));
`;
    expect(briefs(`async function f(db) { return db.query.teams.findMany({ with: { members: true } }); }`, { drizzle: loose })).toEqual([`teams select: `, `members select: team_id eq param`]);
  });

  describe("a where written as an SQL expression (relational queries v1) reads as the builder's .where()", () => {
    // Each relational form and the select that sends the same filter, order and limit.
    const same: Array<[string, string, string]> = [
      [
        "eq, ne, ranges, inArray, notInArray, isNull under and",
        `await db.query.users.findMany({ where: and(eq(users.teamId, t), ne(users.email, q), gt(users.age, 18), lte(users.age, 65), inArray(users.id, ids), notInArray(users.teamId, ids), isNull(users.email)) });`,
        `await db.select().from(users).where(and(eq(users.teamId, t), ne(users.email, q), gt(users.age, 18), lte(users.age, 65), inArray(users.id, ids), notInArray(users.teamId, ids), isNull(users.email)));`,
      ],
      [
        "isNotNull, between, like, ilike; findFirst is a limit of one; orderBy as an array",
        `await db.query.posts.findFirst({ where: and(isNotNull(posts.createdAt), between(posts.createdAt, d, q), like(posts.id, q), ilike(posts.id, q)), orderBy: [desc(posts.createdAt), asc(posts.id)] });`,
        `await db.select().from(posts).where(and(isNotNull(posts.createdAt), between(posts.createdAt, d, q), like(posts.id, q), ilike(posts.id, q))).orderBy(desc(posts.createdAt), asc(posts.id)).limit(1);`,
      ],
      [
        "or left unsplit; orderBy as one expression; limit, offset and columns",
        `await db.query.users.findMany({ where: and(eq(users.teamId, t), or(eq(users.email, q), eq(users.email, d))), orderBy: desc(users.age), limit: 20, offset: 40, columns: { id: true, email: true } });`,
        `await db.select({ id: users.id, email: users.email }).from(users).where(and(eq(users.teamId, t), or(eq(users.email, q), eq(users.email, d)))).orderBy(desc(users.age)).limit(20).offset(40);`,
      ],
      [
        "a condition chosen in code; orderBy as a callback",
        `await db.query.users.findMany({ where: and(eq(users.teamId, t), d ? gte(users.age, d) : undefined), orderBy: (u, { asc }) => [asc(u.email)] });`,
        `await db.select().from(users).where(and(eq(users.teamId, t), d ? gte(users.age, d) : undefined)).orderBy(asc(users.email));`,
      ],
      [
        "a table named through its schema module; a constant compared",
        `await db.query.posts.findMany({ where: and(eq(schema.posts.authorId, q), eq(schema.posts.published, true)) });`,
        `await db.select().from(posts).where(and(eq(posts.authorId, q), eq(posts.published, true)));`,
      ],
    ];
    it.each(same)("%s", (_, relational, builder) => {
      const read = run(relational);
      expect(read).toEqual(run(builder));
      expect(read[0]).not.toMatch(/: \|?$/);
    });

    it("nested relations: their own where, orderBy and limit on the related table, besides the key the relation reads by", () => {
      expect(run(`await db.query.users.findMany({ where: eq(users.teamId, t), with: { posts: { where: eq(posts.published, true), orderBy: [desc(posts.createdAt)], limit: 5, with: { comments: { where: isNotNull(comments.body) } } } } });`)).toEqual([
        `users select: team_id eq param`,
        `posts select: author_id eq param, published eq true param | order created_at desc | limited`,
        `comments select: post_id eq param, body is-not-null literal`,
      ]);
      // An OR in a relation's filter is that relation's, not the query's.
      expect(run("await db.query.users.findMany({ where: eq(users.teamId, t), with: { posts: { where: or(eq(posts.published, true), isNull(posts.createdAt)) } } });")).toEqual([
        `users select: team_id eq param`,
        `posts select: author_id eq param | or`,
      ]);
      // A callback that names the table's variable rather than its parameter.
      expect(run(`await db.query.users.findMany({ with: { posts: { where: (p, { eq }) => eq(posts.published, true), orderBy: (p, { desc }) => [desc(posts.createdAt)] } } });`)).toEqual([
        `users select: `,
        `posts select: author_id eq param, published eq true param | order created_at desc`,
      ]);
      // A relation back to the root's table: its columns are the related rows', not the root's.
      expect(run(`await db.query.posts.findFirst({ where: eq(posts.id, q), with: { author: { where: isNotNull(users.email) } } });`)).toEqual([
        `posts select: id eq param | limited`,
        `users select: id eq param, email is-not-null literal`,
      ]);
    });

    it("a relation whose own where is not read is left out with the relations under it; the query and its other relations stand", () => {
      expect(run(`await db.query.users.findMany({ where: eq(users.teamId, t), with: { posts: { where: buildFilter(posts.id, q), with: { comments: true } }, invoices: true } });`)).toEqual([
        `users select: team_id eq param`,
      ]);
      expect(run(`await db.query.posts.findMany({ where: eq(posts.authorId, q), with: { author: { where: and(eq(users.email, q), eq(comments.body, q)) }, comments: { where: isNotNull(comments.body) } } });`)).toEqual([
        `posts select: author_id eq param`,
        `comments select: post_id eq param, body is-not-null literal`,
      ]);
    });

    it("a value the loop changes: a query per item", () => {
      const [p] = patternsOf(`async function f(db, ids) { for (const id of ids) await db.query.posts.findFirst({ where: eq(posts.authorId, id) }); }`, { drizzle: SCHEMA });
      expect(p).toMatchObject({ table: "posts", inLoop: true, loopUse: { varies: true }, predicates: [{ column: "author_id", op: "eq" }] });
    });

    it("a where the reader cannot follow drops that call only, and nothing throws", () => {
      expect(
        run(
          [
            `await db.query.users.findMany({ where: buildFilter(q) });`,
            `await db.query.users.findMany({ where: eq(users[q], d) });`,
            "await db.query.users.findFirst({ where: sql`exists (select 1 from ${posts} where ${eq(posts.authorId, users.id)})` });",
            `await db.query.comments.findMany({ where: and(eq(comments.body, q), eq(posts.published, true)) });`,
            `await db.query.posts.findMany({ where: eq(posts.authorId, q) });`,
          ].join("\n"),
        ),
      ).toEqual([`posts select: author_id eq param`]);
    });
  });

  it("a table the schema does not declare gives no pattern", () => {
    expect(run(`await db.select().from(ghosts).where(eq(ghosts.id, q));`)).toEqual([]);
  });
});
