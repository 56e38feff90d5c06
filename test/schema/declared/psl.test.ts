// The Prisma Schema Language parser: blocks, fields, attributes and arguments, with their lines; bad input
// gives a message at its line and the rest of the file is still read.
import { describe, expect, it } from "vitest";
import { argument, fieldRefs, identValue, parsePsl, stringValue } from "../../../src/schema/declared/psl.js";

describe("PSL parser", () => {
  it("reads blocks, fields, modifiers, field and block attributes with their lines", () => {
    const { blocks, errors } = parsePsl(
      [
        "// comment",
        "datasource db {",
        '  provider     = "postgresql"',
        '  url          = env("DATABASE_URL")',
        '  relationMode = "prisma"',
        "}",
        "/// doc comment",
        "model Post {",
        "  id        Int      @id @default(autoincrement())",
        '  title     String?  @db.VarChar(200) @map("post_title")',
        "  tags      String[]",
        '  search    Unsupported("tsvector")?',
        "  authorId  Int",
        "  author    User     @relation(\"Written\", fields: [authorId], references: [id], onDelete: Cascade)",
        "  @@index([authorId, title(sort: Desc, ops: raw(\"text_pattern_ops\"))], type: BTree, map: \"p_idx\")",
        '  @@map("posts")',
        "}",
        "enum Role { ADMIN",
        '  USER @map("user") }',
      ].join("\n"),
    );
    expect(errors).toEqual([]);
    expect(blocks.map((b) => [b.kind, b.name, b.line, b.endLine])).toEqual([
      ["datasource", "db", 2, 6],
      ["model", "Post", 8, 17],
      ["enum", "Role", 18, 19],
    ]);
    expect(stringValue(blocks[0].settings.find((s) => s.key === "relationMode")!.value)).toBe("prisma");
    expect(blocks[0].settings.find((s) => s.key === "url")!.value).toEqual({ kind: "call", name: "env", args: [{ value: { kind: "string", value: "DATABASE_URL" } }] });
    const post = blocks[1];
    expect(post.fields.map((f) => [f.name, f.type, f.optional, f.list, f.line])).toEqual([
      ["id", "Int", false, false, 9],
      ["title", "String", true, false, 10],
      ["tags", "String", false, true, 11],
      ["search", "Unsupported", true, false, 12],
      ["authorId", "Int", false, false, 13],
      ["author", "User", false, false, 14],
    ]);
    expect(post.fields[3].unsupported).toBe("tsvector");
    expect(post.fields[1].attributes.map((a) => a.name)).toEqual(["db.VarChar", "map"]);
    const relation = post.fields[5].attributes[0];
    expect(stringValue(argument(relation, "name", 0))).toBe("Written");
    expect(fieldRefs(argument(relation, "fields")).map((r) => r.name)).toEqual(["authorId"]);
    expect(identValue(argument(relation, "onDelete"))).toBe("Cascade");
    const index = post.attributes[0];
    expect(index.line).toBe(15);
    const refs = fieldRefs(argument(index, "fields", 0));
    expect(refs.map((r) => r.name)).toEqual(["authorId", "title"]);
    expect(refs[1].args.map((a) => a.name)).toEqual(["sort", "ops"]);
    expect(identValue(argument(index, "type"))).toBe("BTree");
    expect(stringValue(argument(index, "map"))).toBe("p_idx");
    expect(blocks[2].fields.map((f) => f.name)).toEqual(["ADMIN", "USER"]);
  });

  it("reports a broken block at its line and keeps the blocks around it", () => {
    const { blocks, errors } = parsePsl(["model A {", "  id Int @id", "}", "model B {", "  id Int @id(", "}", "model C {", "  id Int @id", "}"].join("\n"));
    expect(errors).toHaveLength(1);
    expect(errors[0].line).toBe(6);
    expect(blocks.map((b) => b.name)).toEqual(["A", "C"]);
  });

  it("reports an unterminated string and a stray character with their lines", () => {
    expect(parsePsl('model A {\n  id String @default("x\n}').errors[0]).toMatchObject({ line: 2 });
    expect(parsePsl("model A {\n  id Int # no\n}").errors[0]).toMatchObject({ line: 2, message: expect.stringContaining("unexpected character") });
  });
});
