// The schema the n-plus-one size tests share: accounts own workspaces; a workspace holds invoices and has
// members; an invoice is made of lines (parts, deleted with it) and logs events (a history).
import { nPlusOne } from "../../../src/rules/n-plus-one.js";
import { patternsOf } from "../../queries/clients/support.js";
import { config, schemaOf, setOf } from "../../queries/helpers.js";

export const INVOICE_SQL = `
  CREATE TABLE accounts (id text PRIMARY KEY, name text);
  CREATE TABLE workspaces (id text PRIMARY KEY, account_id text NOT NULL REFERENCES accounts ON DELETE CASCADE, name text);
  CREATE TABLE members (id serial PRIMARY KEY, workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE, user_id text NOT NULL, role text NOT NULL, UNIQUE (workspace_id, user_id));
  CREATE TABLE invoices (id text PRIMARY KEY, workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE, total int);
  CREATE TABLE invoice_lines (id serial PRIMARY KEY, invoice_id text NOT NULL REFERENCES invoices ON DELETE CASCADE, amount int, position int NOT NULL);
  CREATE TABLE invoice_events (id serial PRIMARY KEY, invoice_id text NOT NULL REFERENCES invoices ON DELETE CASCADE, kind text, created_at timestamptz NOT NULL);
`;

export const INVOICE_PRISMA = `
model Account { id String @id
  name String?
  @@map("accounts") }
model Workspace { id String @id
  accountId String @map("account_id")
  name String?
  @@map("workspaces") }
model Member { id Int @id @default(autoincrement())
  workspaceId String @map("workspace_id")
  userId String @map("user_id")
  role String
  @@unique([workspaceId, userId])
  @@map("members") }
model Invoice { id String @id
  workspaceId String @map("workspace_id")
  total Int?
  @@map("invoices") }
model InvoiceLine { id Int @id @default(autoincrement())
  invoiceId String @map("invoice_id")
  amount Int?
  position Int
  @@map("invoice_lines") }
model InvoiceEvent { id Int @id @default(autoincrement())
  invoiceId String @map("invoice_id")
  kind String?
  createdAt DateTime @map("created_at")
  @@map("invoice_events") }
`;

/** The n-plus-one findings on `code`, read as Prisma Client calls over INVOICE_SQL plus `extra` (SQL and Prisma models). */
export function invoiceFindings(code: string, extra: { sql?: string; prisma?: string; path?: string } = {}) {
  const patterns = patternsOf(code, { prisma: (extra.prisma ?? "") + INVOICE_PRISMA }, extra.path);
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf((extra.sql ?? "") + INVOICE_SQL), patterns, problems: [], config: config() });
}
