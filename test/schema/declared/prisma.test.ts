// The Prisma schema reader against what prisma migrate writes and what PostgreSQL builds from it: the model read
// from schema.prisma equals the model replayed from the same project's migration.sql, and both equal PGlite's
// catalog after either the migration or the declared DDL.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayDeclared } from "../../../src/schema/declared/ddl.js";
import { prismaForeignKeyName, prismaIndexName, prismaPrimaryKeyName, readPrismaSchema } from "../../../src/schema/declared/prisma.js";
import { comparableCatalog, comparableModel, resetDatabase } from "../catalog.js";
import { sqlToStatements } from "../helpers.js";
import { replaySchema } from "../../../src/schema/replay.js";
import { startPGlite } from "../../support/pglite.js";
import { execPieces, fixtureText } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});

const SCHEMA = "prisma/schema.prisma";
const MIGRATION = "prisma/migrations/20240101000000_init/migration.sql";

describe("Prisma schema reader", () => {
  it("gives the model prisma migrate's SQL builds, equal to the PostgreSQL catalog", async () => {
    const read = readPrismaSchema({ files: [{ path: SCHEMA, text: fixtureText("prisma-migrate", SCHEMA) }] });
    expect(read.problems).toEqual([]);
    const problems: unknown[] = [];
    const declared = comparableModel(replayDeclared(read, problems as never).schema);
    expect(problems).toEqual([]);

    const migrationSql = fixtureText("prisma-migrate", MIGRATION);
    const migrated = comparableModel(replaySchema(sqlToStatements(migrationSql, MIGRATION)));
    expect(declared).toEqual(migrated);

    await resetDatabase(db);
    await db.exec(migrationSql);
    expect(declared).toEqual(await comparableCatalog(db));

    await resetDatabase(db);
    await execPieces(db, read.ddl);
    expect(declared).toEqual(await comparableCatalog(db));
  });

  it("places each object at its declaring line", () => {
    const read = readPrismaSchema({ files: [{ path: SCHEMA, text: fixtureText("prisma-migrate", SCHEMA) }] });
    const { schema } = replayDeclared(read, []);
    const posts = schema.tables.find((t) => t.name === "posts")!;
    expect(posts.location).toMatchObject({ file: SCHEMA, line: 23 });
    expect(posts.columns.find((c) => c.name === "author_id")!.location.line).toBe(25);
    expect(posts.indexes.find((i) => i.name === "posts_author_id_created_at_idx")!.location.line).toBe(34);
    expect(posts.indexes.find((i) => i.name === "posts_pkey")!.location.line).toBe(24);
    expect(posts.foreignKeys.map((f) => [f.name, f.location.line])).toEqual([["posts_author_id_fkey", 26]]);
  });

  it("maps models and fields to tables and columns, and relations to their columns on both sides", () => {
    const read = readPrismaSchema({ files: [{ path: SCHEMA, text: fixtureText("prisma-migrate", SCHEMA) }] });
    const post = read.declared.models.find((m) => m.name === "Post")!;
    expect(post.table).toBe("posts");
    expect(post.fields.find((f) => f.field === "createdAt")).toMatchObject({ column: "created_at", type: "TIMESTAMP(3)", nullable: false });
    expect(post.fields.find((f) => f.field === "status")).toMatchObject({ enumType: "Status", type: '"status"' });
    expect(post.relations.find((r) => r.field === "author")).toMatchObject({
      target: "User",
      holdsForeignKey: true,
      from: { columns: ["author_id"], fields: ["authorId"] },
      to: { table: "users", columns: ["id"] },
      onDelete: "cascade",
      onUpdate: "cascade",
      applicationOnly: false,
    });
    const user = read.declared.models.find((m) => m.name === "User")!;
    expect(user.relations.find((r) => r.field === "posts")).toMatchObject({ holdsForeignKey: false, list: true, from: { columns: ["id"] }, to: { table: "posts", columns: ["author_id"] } });
    const label = read.declared.models.find((m) => m.name === "Label")!;
    expect(label.relations.find((r) => r.field === "posts")).toMatchObject({ list: true, to: { table: "_LabelToPost", columns: ["A"] } });
    expect(read.declared.enums).toMatchObject([{ name: "Status", type: "status", values: ["ACTIVE", "archived"] }]);
    expect(read.declared.relationMode).toBe("foreignKeys");
  });

  it("names keys and indexes as Prisma does, cut to 63 bytes before the suffix", () => {
    expect(prismaPrimaryKeyName("User")).toBe("User_pkey");
    expect(prismaIndexName("Post", ["authorId", "createdAt"], false)).toBe("Post_authorId_createdAt_idx");
    expect(prismaIndexName("Post", ["slug"], true)).toBe("Post_slug_key");
    expect(prismaForeignKeyName("Post", ["authorId"])).toBe("Post_authorId_fkey");
    const long = prismaIndexName("OrganisationMembershipInvitation", ["invitedByUserId", "organisationId", "createdAt"], false);
    expect(long).toBe("OrganisationMembershipInvitation_invitedByUserId_organisati_idx");
    expect(Buffer.byteLength(long)).toBe(63);
    expect(prismaForeignKeyName("T".repeat(70), ["x"])).toBe(`${"T".repeat(58)}_fkey`);
    expect(prismaPrimaryKeyName("T".repeat(70))).toBe(`${"T".repeat(58)}_pkey`);
    // Cut by bytes, never inside a character: 29 two-byte letters fill 58 bytes; a 4-byte one that would pass 58 is left out.
    expect(prismaPrimaryKeyName("ä".repeat(40))).toBe(`${"ä".repeat(29)}_pkey`);
    expect(prismaPrimaryKeyName(`${"a".repeat(56)}😀b`)).toBe(`${"a".repeat(56)}_pkey`);
    expect(prismaPrimaryKeyName(`${"a".repeat(54)}😀b`)).toBe(`${"a".repeat(54)}😀_pkey`);
  });

  it("reads relationMode = \"prisma\" relations as application-only, with no constraint in the DDL", () => {
    const text = [
      'datasource db {\n  provider = "postgresql"\n  url = env("X")\n  relationMode = "prisma"\n}',
      "model A {\n  id String @id\n  bs B[]\n}",
      "model B {\n  id String @id\n  aId String\n  a A @relation(fields: [aId], references: [id])\n}",
    ].join("\n");
    const read = readPrismaSchema({ files: [{ path: "schema.prisma", text }] });
    expect(read.declared.relationMode).toBe("prisma");
    expect(read.ddl.some((p) => /FOREIGN KEY/.test(p.sql))).toBe(false);
    expect(read.declared.models[1].relations[0]).toMatchObject({ applicationOnly: true, onDelete: "restrict", onUpdate: "cascade" });
  });

  it("reads @@schema, @@id, Hash and Brin indexes, and a multi-file schema folder", async () => {
    const files = [
      { path: "prisma/schema/main.prisma", text: 'datasource db {\n  provider = "postgresql"\n  url = env("X")\n  schemas = ["auth", "public"]\n}' },
      { path: "prisma/schema/auth.prisma", text: 'model Session {\n  token String\n  userId Int\n  at DateTime @db.Timestamptz(6)\n  @@id([token, userId], map: "session_pk")\n  @@index([at], type: Brin)\n  @@schema("auth")\n}' },
    ];
    const read = readPrismaSchema({ files });
    expect(read.problems).toEqual([]);
    const { schema } = replayDeclared(read, []);
    const session = schema.tables[0];
    expect([session.schema, session.name]).toEqual(["auth", "Session"]);
    expect(session.primaryKey).toEqual({ name: "session_pk", columns: ["token", "userId"] });
    expect(session.indexes.find((i) => i.name === "Session_at_idx")!.method).toBe("brin");
    expect(session.columns.find((c) => c.name === "at")!.type).toBe("timestamp(6) with time zone");
    await resetDatabase(db);
    await db.exec("create schema auth");
    await execPieces(db, read.ddl);
    expect(comparableModel(schema)).toEqual(await comparableCatalog(db));
  });

  it("reports what cannot be read at its line and keeps the rest", () => {
    const read = readPrismaSchema({ files: [{ path: "schema.prisma", text: "model A {\n  id Int @id\n  @@index([nope])\n}\nmodel B {\n  id Int @id(\n}" }] });
    expect(read.problems.map((p) => [p.location.line, p.message])).toEqual([
      [7, expect.stringContaining("Prisma schema:")],
      [1, expect.stringContaining('no scalar field "nope"')],
    ]);
    expect(read.declared.models.map((m) => m.name)).toEqual(["A"]);
  });
});
