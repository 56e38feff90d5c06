// The configuration file `.github/index-audit.yml`: one schema for the CLI and the app (validated with zod
// where a file is read; src/core/config.ts resolves it into the AuditConfig the audit runs with).
import { z } from "zod";
import type { MigrationFramework } from "../core/types.js";

export const FRAMEWORKS = [
  "supabase",
  "prisma",
  "drizzle",
  "flyway",
  "golang-migrate",
  "dbmate",
  "sqitch",
  "schema-dump",
  "plain",
] as const satisfies readonly MigrationFramework[];

const severityOrOff = z.enum(["important", "routine", "noted", "off"]);
const failOn = z.enum(["important", "routine", "noted", "never"]);

const ruleSetting = z
  .union([
    severityOrOff,
    z.strictObject({
      severity: severityOrOff.optional(),
    }),
  ])
  .describe('Severity for this rule ("important", "routine", "noted"), or "off" to disable it.');

const tableHintSetting = z.strictObject({
  /** Expected row count in production. */
  rows: z.number().int().nonnegative().optional().describe("Expected row count in production."),
  /** Rows are only ever added (logs, events): a partitioning candidate when large. */
  "append-only": z.boolean().optional().describe("Rows are only ever added (logs, events): a partitioning candidate when large."),
});

const ignoreEntry = z
  .strictObject({
    rule: z.string().min(1).describe("Rule id to ignore, e.g. fk-index."),
    table: z.string().min(1).optional().describe("Only on this table (bare or schema-qualified)."),
    columns: z.array(z.string().min(1)).optional().describe("Only for findings on exactly these columns."),
    reason: z.string().optional().describe("Why the finding does not apply."),
  })
  .describe("Findings to leave out of every report.");

const migrationSetting = z.strictObject({
  /** Folders (or single files) holding migrations; each becomes its own migration set. */
  paths: z
    .array(z.string().min(1))
    .optional()
    .describe("Folders (or single files) holding migrations; each becomes its own migration set."),
  framework: z.enum(FRAMEWORKS).optional().describe("Migration framework, when detection from the layout guesses wrong."),
  /** Globs of migration folders to leave out (e.g. ClickHouse migrations). */
  exclude: z.array(z.string().min(1)).optional().describe("Globs of migration folders to leave out (e.g. ClickHouse migrations)."),
});

const codeSetting = z.strictObject({
  /** Folders holding application code that queries the database. */
  paths: z.array(z.string().min(1)).optional().describe("Folders holding application code that queries the database."),
  exclude: z.array(z.string().min(1)).optional().describe("Globs of code files or folders to leave out."),
});

export const configSchema = z.strictObject({
  migrations: migrationSetting.optional().describe("Where the migrations are and which framework applies them."),
  code: codeSetting.optional().describe("Where the code that queries the database is."),
  rules: z.record(z.string(), ruleSetting).optional().describe("Severity override per rule id, or off."),
  ignore: z.array(ignoreEntry).optional().describe("Findings to leave out of every report."),
  tables: z.record(z.string(), tableHintSetting).optional().describe("Size hints per table (bare or schema-qualified name)."),
  "fail-on": failOn
    .optional()
    .describe("Lowest severity that fails the run (CLI exit 1, check run failure); never to always pass."),
  /** Row count above which an append-only, time-keyed table is worth partitioning. */
  "partition-threshold": z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Row count above which an append-only, time-keyed table is worth partitioning."),
  /** Row count above which a select with no limit is reported. */
  "unbounded-threshold": z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Row count above which a select with no limit is reported."),
  /** Check-run conclusion when only findings below fail-on are new. */
  "conclusion-below-fail-on": z
    .enum(["success", "neutral"])
    .optional()
    .describe("Check-run conclusion when only findings below fail-on are new."),
  /** Replay the migrations into PostgreSQL 18 (in process) and plan each recommendation at the declared sizes. */
  verify: z
    .boolean()
    .optional()
    .describe("Replay the migrations into PostgreSQL 18 (PGlite, in process) and check each recommended index with the planner at the sizes in tables:; reports migration statements PostgreSQL refuses."),
  /** Org-wide defaults (Probot's config loading resolves it before validation). */
  _extends: z.string().optional().describe("Org-wide defaults: another repository's config (GitHub App only)."),
});

export type ConfigFile = z.infer<typeof configSchema>;
