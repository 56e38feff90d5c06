// Which changed files can change the audit's result. A pull request touching none of them
// gets its check run completed at once, without reading the repository.
import type { AuditConfig } from "../core/config.js";
import { underSkippedFolder } from "../source/github-source.js";

export const CONFIG_PATH = ".github/index-audit.yml";

/** Extensions of files the pipeline reads: SQL, and code that may hold queries. */
const SQL_EXTENSIONS = [".sql"];
const CODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
/** Files that order migrations for their framework. */
const MIGRATION_METADATA = [/(^|\/)meta\/_journal\.json$/, /(^|\/)sqitch\.plan$/, /(^|\/)schema\.prisma$/];


function under(path: string, folder: string): boolean {
  const clean = folder.replace(/^\.\//, "").replace(/\/+$/, "");
  return clean === "" || clean === "." || path === clean || path.startsWith(clean + "/");
}

const hasExtension = (path: string, extensions: string[]) => extensions.some((e) => path.toLowerCase().endsWith(e));

/** True when the pipeline may read this file (used to prefetch blobs and to skip irrelevant pushes). */
export function isAuditInput(path: string, config: AuditConfig): boolean {
  if (underSkippedFolder(path)) return false;
  if (config.migrations.paths.some((p) => under(path, p))) return true;
  if (hasExtension(path, SQL_EXTENSIONS)) return true;
  if (MIGRATION_METADATA.some((re) => re.test(path))) return true;
  if (hasExtension(path, CODE_EXTENSIONS)) {
    return config.code.paths.length === 0 || config.code.paths.some((p) => under(path, p));
  }
  return false;
}

/** True when a change to this path may change findings (the config file counts, even though it applies after merge). */
export function mayChangeFindings(path: string, config: AuditConfig): boolean {
  return path === CONFIG_PATH || path === ".github/index-audit.yaml" || isAuditInput(path, config);
}
