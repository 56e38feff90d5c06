// Kysely -> access patterns. Kysely sends names exactly as written and binds every value.
import { beforeAll, describe, expect, it } from "vitest";
import { initParser } from "../../../src/sql/parser.js";
import { brief, briefs, patternsOf } from "./support.js";

const run = (body: string) => briefs(`async function f(db, ids, q, d, t) {\n${body}\n}`);

beforeAll(async () => {
  await initParser();
});

describe("Kysely", () => {
  it("selectFrom with where(col, op, value): each operator, values bound, is null written", () => {
    expect(run(`await db.selectFrom("person").selectAll().where("team_id", "=", t).where("age", ">=", 18).where("id", "in", ids).where("email", "ilike", q).where("status", "<>", q).where("deleted_at", "is", null).where("closed_at", "is not", null).execute();`)).toEqual([
      `person select: team_id eq param, age range>= 18 param, id in param, email like param ci, status neq param, deleted_at is-null literal, closed_at is-not-null literal`,
    ]);
  });

  it("where(eb => eb.and([...])) and eb.or; between", () => {
    expect(run(`await db.selectFrom("person").where((eb) => eb.and([eb("team_id", "=", t), eb("age", "<", 65), eb.between("created_at", d, q)])).execute();`)).toEqual([
      `person select: team_id eq param, age range< 65 param, created_at range>= param, created_at range<= param`,
    ]);
    expect(run(`await db.selectFrom("person").where("team_id", "=", t).where(({ eb, or }) => or([eb("a", "=", 1), eb("b", "=", 2)])).execute();`)).toEqual([`person select: team_id eq param | or`]);
  });

  it("orderBy(col, 'desc'), limit, executeTakeFirst (one row)", () => {
    expect(run(`await db.selectFrom("messages").where("ticket_id", "=", t).orderBy("created_at", "desc").orderBy("id").limit(20).execute();`)).toEqual([
      `messages select: ticket_id eq param | order created_at desc, id | limited`,
    ]);
    expect(run(`await db.selectFrom("person").where("email", "=", q).selectAll().executeTakeFirst();`)).toEqual([`person select: email eq param | limited`]);
  });

  it("an ORDER BY chosen at run time ($call, a variable column) or a window aggregate in the select list leaves no order to serve", () => {
    expect(run(`await db.selectFrom("stat").where("period", "=", q).$call((qb) => (d ? qb.orderBy("a", "desc") : qb.orderBy("b"))).orderBy("id").limit(10).execute();`)).toEqual([
      `stat select: period eq param | limited`,
    ]);
    expect(run(`await db.selectFrom("stat").where("period", "=", q).orderBy(d).orderBy("id").limit(10).execute();`)).toEqual([`stat select: period eq param | limited`]);
    expect(run(`await db.selectFrom("stat").select((eb) => ["id", eb.fn.countAll().over().as("total")]).where("period", "=", q).orderBy("id").limit(10).execute();`)).toEqual([
      `stat select: period eq param | limited`,
    ]);
    // A static ORDER BY before the dynamic part still leads.
    expect(run(`await db.selectFrom("stat").where("period", "=", q).orderBy("id").$call((qb) => qb).limit(10).execute();`)).toEqual([`stat select: period eq param | order id | limited`]);
  });

  it("innerJoin('b', 'b.a_id', 'a.id') and the callback form: the joined table is read by its column; aliases", () => {
    expect(run(`await db.selectFrom("person as p").innerJoin("pet", "pet.owner_id", "p.id").leftJoin("toy as t", (join) => join.onRef("t.pet_id", "=", "pet.id").on("t.kind", "=", q)).where("p.team_id", "=", t).where("pet.species", "=", "cat").execute();`)).toEqual([
      `person select: team_id eq param | joins pet(owner_id)`,
      `pet select: owner_id eq param, species eq 'cat' param | joins toy(pet_id)`,
      `toy select: pet_id eq param, kind eq param`,
    ]);
  });

  it("updateTable, deleteFrom, insertInto; names are exact, schemas kept", () => {
    expect(run(`await db.updateTable("Person").set({ name: q }).where("id", "=", q).execute(); await db.deleteFrom("app.sessions").where("expires_at", "<", d).execute(); await db.insertInto("pet").values({ name: q }).onConflict((oc) => oc.doNothing()).execute();`)).toEqual([
      `Person update: id eq param`,
      `app.sessions delete: expires_at range< param`,
      `pet upsert: `,
    ]);
    // Kysely quotes what it sends: the lookup gets the names as written, unqualified ones on the search path.
    const patterns = patternsOf(`await db.updateTable("Person").set({ name: q }).where("id", "=", q).execute(); await db.deleteFrom("app.sessions").where("expires_at", "<", d).execute();`);
    expect(patterns.map((p) => p.relation)).toEqual([{ name: "Person" }, { schema: "app", name: "sessions" }]);
  });

  it("a builder extended in branches, and a query per item of a loop", () => {
    expect(run(`let query = db.selectFrom("person").where("team_id", "=", t); if (q) query = query.where("email", "=", q); return await query.execute();`)).toEqual([
      `person select: team_id eq param, email eq param conditional`,
    ]);
    const [p] = patternsOf(`async function f(db, ids) { for (const id of ids) await db.deleteFrom("messages").where("ticket_id", "=", id).execute(); }`);
    expect(brief(p)).toBe(`messages delete: ticket_id eq param | in loop`);
    expect(p.loopUse).toMatchObject({ varies: true, batched: false });
  });

  it("a filter written as SQL leaves the query unread", () => {
    expect(run("await db.selectFrom(\"person\").where(sql`lower(email)`, \"=\", q).execute();")).toEqual([]);
  });
});

describe("Kysely: what is not a query or not a column", () => {
  it("a chain whose method shares a name with Object's prototype is not a query; ORDER BY an output name is not a column", () => {
    expect(run(`const s = Buffer.from(q).toString("base64"); const d2 = new Date().toLocaleString("en");`)).toEqual([]);
    expect(run(`await db.selectFrom("orders").select([sql\`date_trunc('month', created_at)\`.as("month")]).where("team_id", "=", t).orderBy("month", "desc").execute();`)).toEqual([
      `orders select: team_id eq param`,
    ]);
  });
});
