// A repository written to a temporary folder and audited as the CLI would audit a checkout.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { audit, type AuditResult } from "../../src/audit.js";
import { DEFAULT_CONFIG, type AuditConfig } from "../../src/core/config.js";
import { fsSource } from "../../src/source/fs-source.js";

/** Writes `files` (path → text) under a new temporary folder, audits it, and returns the result and a clean-up. */
export async function auditFolder(files: Record<string, string>, config: AuditConfig = DEFAULT_CONFIG): Promise<{ result: AuditResult; remove: () => void }> {
  const root = mkdtempSync(path.join(tmpdir(), "audit-folder-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  const result = await audit(fsSource(root), { config });
  return { result, remove: () => rmSync(root, { recursive: true, force: true }) };
}
