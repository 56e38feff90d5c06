// Code that runs by hand or once, never on a request path: one-off data migrations written in code
// (a `backgroundMigrations/` job, `migration-scripts/`, `scripts/migrate-*.ts`) and scripts (a backfill, a seed, a sync).
// Rules weigh what such code does as a note: worth fixing only if it is slow on production data.

/** A data migration written in code: it runs once per deployment. Only code files (a `.sql` migration is no script). */
const DATA_MIGRATION = /(^|\/)(migrations?|data-migrations?|migration[-_]scripts?|\w*Migrations?|migrate)\/[^]*\.[cm]?[jt]sx?$|(^|\/)scripts\/[^/]*migrat[^/]*\.[cm]?[jt]sx?$/;
/** Scripts: run by hand (a backfill, a seed, a sync), never on a request path. */
const SCRIPT = /(^|\/)scripts\/[^]*\.[cm]?[jt]sx?$|(^|\/)(backfill|seed)[^/]*\.[cm]?[jt]sx?$|(^|\/)(seeds?|seeders?|seeding)\/[^]*\.[cm]?[jt]sx?$/i;

/** What kind of one-off code `file` is (repository-relative path), or null for code that may serve requests. */
export function oneOffKind(file: string): "data-migration" | "script" | null {
  if (DATA_MIGRATION.test(file)) return "data-migration";
  if (SCRIPT.test(file)) return "script";
  return null;
}

/** The sentence a finding on one-off code carries. */
export function oneOffNote(kind: "data-migration" | "script"): string {
  return kind === "data-migration"
    ? "This is a one-off data migration, so it runs once: worth fixing only if it is slow on production data."
    : "This is a script run by hand, not a request path: worth fixing only if it is slow on production data.";
}
