// Reads fixture repositories the way the audit does: through fsSource and textReader.
import { fileURLToPath } from "node:url";
import { textReader, type TextReader } from "../../src/audit.js";
import { DEFAULT_CONFIG, type AuditConfig } from "../../src/core/config.js";
import type { MigrationSet } from "../../src/core/types.js";
import { discoverMigrationSets } from "../../src/migrations/discover.js";
import { fsSource } from "../../src/source/fs-source.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/frameworks/", import.meta.url));

export async function openRepo(root: string): Promise<{ files: string[]; read: TextReader }> {
  const source = fsSource(root);
  return { files: (await source.list()).map((f) => f.path), read: textReader(source) };
}

export function config(migrations: Partial<AuditConfig["migrations"]> = {}): AuditConfig {
  return { ...DEFAULT_CONFIG, migrations: { ...DEFAULT_CONFIG.migrations, ...migrations } };
}

export async function discoverFixture(name: string, cfg: AuditConfig = config()) {
  const { files, read } = await openRepo(`${FIXTURES}${name}`);
  return { ...(await discoverMigrationSets(files, read, cfg)), read };
}

/** File names in apply order, with their folder when it tells them apart (prisma). */
export function order(set: MigrationSet): string[] {
  return set.files.map((f) => f.path);
}

export function transactions(set: MigrationSet): Record<string, boolean> {
  return Object.fromEntries(set.files.map((f) => [f.path.split("/").pop() === "migration.sql" ? f.path.split("/").slice(-2).join("/") : f.path.split("/").pop()!, f.runsInTransaction]));
}

import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { InputProblem, Statement } from "../../src/core/types.js";
import { loadMigrationSet } from "../../src/migrations/load.js";

/** Writes a small repository into a fresh temporary folder: path -> text (or bytes). */
export async function writeRepo(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "index-audit-migrations-"));
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  return root;
}

/** Discovers and loads every set of a repository folder, as the audit does. */
export async function loadRepo(root: string, cfg: AuditConfig = config()) {
  const { files, read } = await openRepo(root);
  const discovered = await discoverMigrationSets(files, read, cfg);
  const statements: Statement[] = [];
  const problems: InputProblem[] = [...discovered.problems];
  for (const set of discovered.sets) {
    const loaded = await loadMigrationSet(set, read);
    statements.push(...loaded.statements);
    problems.push(...loaded.problems);
  }
  return { sets: discovered.sets, statements, problems };
}

export function where(s: { location: { file: string; line: number; column: number } }): string {
  return `${s.location.file}:${s.location.line}:${s.location.column}`;
}

export function kind(s: Statement): string {
  return Object.keys(s.ast)[0];
}
