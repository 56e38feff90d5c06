// n-plus-one on loops that run a handful of times by nature: over a list set in configuration, over the
// one row a unique key finds, over the parts of one item (the lines of one invoice). Noted, saying why;
// loops over a whole table, a page, a container's rows or a list the request sends keep their severity.
import { beforeAll, describe, expect, it } from "vitest";
import { initParser } from "../../src/sql/parser.js";
import { invoiceFindings } from "./support/invoice-schema.js";

beforeAll(() => initParser());

const findings = (code: string) => invoiceFindings(code);

const head = 'import { prisma } from "./db";\nimport { env } from "./env";\n';

describe("n-plus-one: a loop over a list set in configuration is noted", () => {
  it("rows fetched by an IN over a configured list, the list read through `?? []` and a ternary", () => {
    const code =
      head +
      [
        "export async function joinDefaults(userId: string) {",
        "  const ids = env.DEFAULT_WORKSPACE_IDS ?? [];",
        "  const workspaces = ids.length > 0 ? await prisma.workspace.findMany({ where: { id: { in: ids } } }) : [];",
        "  for (const workspace of workspaces) {",
        "    await prisma.member.upsert({",
        "      where: { workspaceId_userId: { workspaceId: workspace.id, userId } },",
        "      update: {},",
        '      create: { workspaceId: workspace.id, userId, role: "viewer" },',
        "    });",
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("The loop walks `env.DEFAULT_WORKSPACE_IDS`, a list set in the deployment's configuration: a handful of round trips that do not grow with the data, so this is noted, not routine.");
  });

  it("a comma-separated environment variable split into a list", () => {
    const code = [
      'import { prisma } from "./db";',
      "export async function seedAdmins() {",
      '  for (const id of (process.env.ADMIN_ACCOUNT_IDS ?? "").split(",")) {',
      "    await prisma.account.update({ where: { id }, data: { name: id } });",
      "  }",
      "}",
    ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("`process.env.ADMIN_ACCOUNT_IDS`, a list set in the deployment's configuration");
  });

  it("a list the request sends is not configuration: routine", () => {
    const code =
      head +
      [
        "export async function invite(body: { userIds: string[] }, workspaceId: string) {",
        "  for (const userId of body.userIds) {",
        '    await prisma.member.create({ data: { workspaceId, userId, role: "viewer" } });',
        "  }",
        "}",
      ].join("\n");
    expect(findings(code).map((f) => f.severity)).toEqual(["routine"]);
  });

  it("a local named like the configuration object does not count", () => {
    const code = [
      'import { prisma } from "./db";',
      "export async function sync(env: { ids: string[] }) {",
      "  for (const id of env.ids) await prisma.account.update({ where: { id }, data: { name: id } });",
      "}",
    ].join("\n");
    expect(findings(code).map((f) => f.severity)).toEqual(["routine"]);
  });
});

describe("n-plus-one: a loop over the parts of one item is noted", () => {
  it("the lines of one invoice, each renumbered", () => {
    const code =
      head +
      [
        "export async function renumber(invoiceId: string) {",
        "  const lines = await prisma.invoiceLine.findMany({ where: { invoiceId } });",
        "  for (const line of lines) {",
        "    await prisma.invoiceLine.update({ where: { id: line.id }, data: { position: line.position + 1 } });",
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("The loop walks the `invoice_lines` rows of one `invoices` (line 4, by invoice_id): parts deleted with their `invoices`, read all at once");
    // The advice is still given: every line's position moves by one, one UPDATE for all of them.
    expect(f.message).toContain('`UPDATE invoice_lines SET "position" = "position" + n WHERE id = ANY($1)`');
  });

  it("the one row a unique key finds", () => {
    const code =
      head +
      [
        "export async function promote(workspaceId: string, userId: string) {",
        "  const found = await prisma.member.findMany({ where: { workspaceId, userId } });",
        "  for (const m of found) {",
        '    await prisma.invoice.updateMany({ where: { workspaceId: m.workspaceId }, data: { total: 0 } });',
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("the one row of `members` its query finds by the unique key (workspace_id, user_id)");
  });

  it.each([
    ["every row of a table", "prisma.invoiceLine.findMany()"],
    ["a page of one invoice's lines", "prisma.invoiceLine.findMany({ where: { invoiceId }, take: 50 })"],
    // A workspace is a container its account owns directly: its invoices are counted per workspace, not a handful.
    ["the invoices of one workspace", "prisma.invoice.findMany({ where: { workspaceId: invoiceId } })"],
  ])("%s stays routine", (_, query) => {
    const code =
      head +
      [
        "export async function touch(invoiceId: string) {",
        `  const rows = await ${query};`,
        "  for (const row of rows) {",
        "    await prisma.invoiceLine.update({ where: { id: row.id }, data: { position: row.id + 1 } });",
        "  }",
        "}",
      ].join("\n");
    expect(findings(code).map((f) => f.severity)).toEqual(["routine"]);
  });

  it("the events of one invoice, a history the code appends to and reads by time, stay routine", () => {
    const code =
      head +
      [
        "export async function log(invoiceId: string, kind: string) {",
        "  await prisma.invoiceEvent.create({ data: { invoiceId, kind, createdAt: new Date() } });",
        "}",
        "export async function recent(invoiceId: string, since: Date) {",
        "  return prisma.invoiceEvent.findMany({ where: { invoiceId, createdAt: { gte: since } } });",
        "}",
        "export async function replay(invoiceId: string) {",
        "  const events = await prisma.invoiceEvent.findMany({ where: { invoiceId } });",
        "  for (const e of events) {",
        "    await prisma.invoice.update({ where: { id: e.invoiceId }, data: { total: e.id } });",
        "  }",
        "}",
      ].join("\n");
    expect(findings(code).map((f) => f.severity)).toEqual(["routine"]);
  });
});
