// The configuration the audit runs with, resolved from the file `.github/index-audit.yml`, whose schema
// (one for the CLI and the app) is in src/config/schema.ts: apart from it, so that an audit with no config
// file does not load zod.
import type { ConfigFile } from "../config/schema.js";
import type { MigrationFramework, Severity } from "./types.js";

export interface TableHint {
  rows?: number;
  appendOnly?: boolean;
}

/** The configuration with every default filled in, as the pipeline uses it. */
export interface AuditConfig {
  migrations: { paths: string[]; framework: MigrationFramework | null; exclude: string[] };
  code: { paths: string[]; exclude: string[] };
  /** Severity override per rule id; "off" disables the rule. */
  rules: Record<string, Severity | "off">;
  ignore: Array<{ rule: string; table?: string; columns?: string[]; reason?: string }>;
  tables: Record<string, TableHint>;
  failOn: Severity | "never";
  partitionThreshold: number;
  unboundedThreshold: number;
  conclusionBelowFailOn: "success" | "neutral";
  /** Run the verify stage (src/verify/) after the static audit. */
  verify: boolean;
}

export const DEFAULT_CONFIG: AuditConfig = {
  migrations: { paths: [], framework: null, exclude: [] },
  code: { paths: [], exclude: [] },
  rules: {},
  ignore: [],
  tables: {},
  failOn: "important",
  partitionThreshold: 10_000_000,
  unboundedThreshold: 100_000,
  conclusionBelowFailOn: "success",
  verify: false,
};

export function resolveConfig(file: ConfigFile): AuditConfig {
  const rules: AuditConfig["rules"] = {};
  for (const [id, setting] of Object.entries(file.rules ?? {})) {
    const severity = typeof setting === "string" ? setting : setting.severity;
    if (severity) rules[id] = severity;
  }
  const tables: AuditConfig["tables"] = {};
  for (const [name, hint] of Object.entries(file.tables ?? {})) {
    tables[name] = { rows: hint.rows, appendOnly: hint["append-only"] };
  }
  return {
    migrations: {
      paths: file.migrations?.paths ?? [],
      framework: file.migrations?.framework ?? null,
      exclude: file.migrations?.exclude ?? [],
    },
    code: { paths: file.code?.paths ?? [], exclude: file.code?.exclude ?? [] },
    rules,
    ignore: file.ignore ?? [],
    tables,
    failOn: file["fail-on"] ?? DEFAULT_CONFIG.failOn,
    partitionThreshold: file["partition-threshold"] ?? DEFAULT_CONFIG.partitionThreshold,
    unboundedThreshold: file["unbounded-threshold"] ?? DEFAULT_CONFIG.unboundedThreshold,
    conclusionBelowFailOn: file["conclusion-below-fail-on"] ?? DEFAULT_CONFIG.conclusionBelowFailOn,
    verify: file.verify ?? DEFAULT_CONFIG.verify,
  };
}

/** The size hint for a table named bare or schema-qualified. */
export function tableHint(config: AuditConfig, schema: string, table: string): TableHint | undefined {
  let hints = hintMaps.get(config.tables);
  if (!hints) hintMaps.set(config.tables, (hints = new Map(Object.entries(config.tables))));
  if (hints.size === 0) return undefined;
  return hints.get(`${schema}.${table}`) ?? hints.get(table);
}

// Rules ask for every table's hint many times, and most configurations give none: the hints as a Map, per
// configuration (not changed once loaded), answer those without building a key.
const hintMaps = new WeakMap<AuditConfig["tables"], Map<string, TableHint>>();
