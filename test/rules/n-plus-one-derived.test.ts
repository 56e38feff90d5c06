// n-plus-one on loops over a list derived from one value: the matches of a regular expression in one
// text (the references written in one note), or the parts of one row read with its relation included (the
// lines of one invoice, or some of them). Noted, saying why; a list split out of a file, the members of a
// workspace (a container, not an item) and a list the request sends keep their severity.
import { beforeAll, describe, expect, it } from "vitest";
import { initParser } from "../../src/sql/parser.js";
import { invoiceFindings } from "./support/invoice-schema.js";

beforeAll(() => initParser());

// Besides the shared invoice schema: tags written in a note's text.
const TAGS = { sql: "CREATE TABLE tags (id serial PRIMARY KEY, note_id text NOT NULL, name text NOT NULL);", prisma: `
model Tag { id Int @id @default(autoincrement())
  noteId String @map("note_id")
  name String
  @@map("tags") }` };
const findings = (code: string, path?: string) => invoiceFindings(code, { ...TAGS, ...(path ? { path } : {}) });

const head = 'import { prisma } from "./db";\n';

describe("n-plus-one: the matches of a regular expression in one text", () => {
  const loop = (list: string, pre = "") =>
    head +
    [
      "export async function saveTags(noteId: string, text: string) {",
      pre,
      `  for (const tag of ${list}) {`,
      "    await prisma.tag.create({ data: { noteId, name: tag } });",
      "  }",
      "}",
    ].join("\n");

  it.each([
    ["`text.match(/re/g) ?? []`, held in a name", loop("refs", "  const refs = text.match(/#\\w+/g) ?? [];"), "`text.match(...)`"],
    ["`[...text.matchAll(re)]` mapped to the captured names", loop("[...text.matchAll(TAG)].map((m) => m[1])", "  const TAG = /#(\\w+)/g;"), "`text.matchAll(...)`"],
    ["a Set of the matches", loop("new Set(text.match(/#\\w+/g))"), "`text.match(...)`"],
  ])("%s: noted, saying so", (_, code, call) => {
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain(`The loop walks the matches of a regular expression in one text value (${call}): the references written in one text, a handful by nature`);
  });

  it("lines split out of a text (a CSV file) stay routine", () => {
    const [f] = findings(loop('text.split("\\n")'));
    expect(f.severity).toBe("routine");
  });
});

describe("n-plus-one: the segments of one path", () => {
  const breadcrumb = (segments: string, pre: string[] = []) =>
    head +
    [
      "export default async function handle(req: any, res: any) {",
      ...pre,
      `  for (let i = 0; i < ${segments}.length; i++) {`,
      '    const path = "/" + ' + segments + '.slice(0, i + 1).join("/");',
      "    const note = await prisma.tag.findFirst({ where: { name: path } });",
      "    if (!note) return res.status(404).end();",
      "  }",
      "}",
    ].join("\n");
  const route = ["  const { teamId, name } = req.query as { teamId: string; name: string[] };", "  const checked = pathSchema.safeParse(name);", "  if (!checked.success) return res.status(400).end();", "  const segments = checked.data;"];

  it("a catch-all route's parameter, checked by a schema and walked by index: noted, naming the parameter", () => {
    const [f] = findings(breadcrumb("segments", route), "pages/api/folders/[...name].ts");
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("The loop walks the segments of the catch-all route parameter `[...name]` (the request path), as many as its depth");
  });

  it("the same parameter of a route that is not catch-all is a list the request sends: routine", () => {
    const [f] = findings(breadcrumb("segments", route), "pages/api/folders/[name].ts");
    expect(f.severity).toBe("routine");
  });

  it("a path split on '/': noted; a list split on commas stays routine", () => {
    const [split] = findings(breadcrumb("parts", ["  const full = String(req.query.path);", '  const parts = full.split("/").filter(Boolean);']));
    expect(split.severity).toBe("noted");
    expect(split.message).toContain('The loop walks the segments of one path (`full.split("/")`), as many as its depth');
    const [commas] = findings(breadcrumb("parts", ['  const parts = String(req.query.path).split(",");']));
    expect(commas.severity).toBe("routine");
  });
});

describe("n-plus-one: the parts of one row read with its relation included", () => {
  const read = '  const invoice = await prisma.invoice.findFirst({ where: { id: invoiceId }, include: { lines: true } });\n  if (!invoice) return;';

  it("a subset filtered in code, each updated: noted, naming the row", () => {
    const code =
      head +
      [
        "export async function price(invoiceId: string) {",
        read,
        "  for (const line of invoice.lines.filter((l) => l.amount === null)) {",
        "    await prisma.invoiceLine.update({ where: { id: line.id }, data: { amount: line.position * 10 } });",
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("The loop walks the `invoice_lines` rows of the one `invoices` row read at line 3 (its `lines`, or some of them): parts deleted with their `invoices`");
  });

  it("a row read with its `where` held in a variable: the name holding it names the table", () => {
    const code =
      head +
      [
        "export async function price(invoiceWhere: object) {",
        "  const invoice = await prisma.invoice.findFirst({ where: invoiceWhere, include: { lines: true } });",
        "  if (!invoice) return;",
        "  for (const line of invoice.lines) {",
        "    await prisma.invoiceLine.update({ where: { id: line.id }, data: { amount: line.position * 10 } });",
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("The loop walks the `invoice_lines` rows of the one `invoices` row `invoice` holds (its `lines`, or some of them)");
  });

  it("a list pushed while walking them, then written in Promise.all: noted", () => {
    const code =
      head +
      [
        "export async function price(invoiceId: string) {",
        read,
        "  const unpriced: { id: number; amount: number }[] = [];",
        "  for (const line of invoice.lines) {",
        "    if (line.amount === null) unpriced.push({ id: line.id, amount: line.position * 10 });",
        "  }",
        "  await Promise.all(unpriced.map((u) => prisma.invoiceLine.update({ where: { id: u.id }, data: { amount: u.amount } })));",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("the one `invoices` row read at line 3");
  });

  it("the members of one workspace, a container whose rows grow: routine", () => {
    const code =
      head +
      [
        "export async function demote(workspaceId: string) {",
        "  const workspace = await prisma.workspace.findFirst({ where: { id: workspaceId }, include: { members: true } });",
        "  if (!workspace) return;",
        "  for (const member of workspace.members.filter((m) => m.role === 'admin')) {",
        "    await prisma.member.update({ where: { id: member.id }, data: { role: member.userId } });",
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("routine");
  });

  it("a list the request sends, pushed while walking the parts, is no longer a subset of them: routine", () => {
    const code =
      head +
      [
        "export async function price(invoiceId: string, extra: { id: number; amount: number }[]) {",
        read,
        "  const unpriced: { id: number; amount: number }[] = [];",
        "  for (const line of invoice.lines) unpriced.push({ id: line.id, amount: 1 });",
        "  for (const e of extra) unpriced.push(e);",
        "  await Promise.all(unpriced.map((u) => prisma.invoiceLine.update({ where: { id: u.id }, data: { amount: u.amount } })));",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("routine");
  });
});
