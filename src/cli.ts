#!/usr/bin/env node
// index-audit on a checkout: read the config, run the audit, print a report, exit by severity.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import type { AuditResult } from "./audit.js";
import type { LoadOutcome } from "./config/load.js";
import type { AuditConfig } from "./core/config.js";
import type { InputProblem, Severity } from "./core/types.js";
import type { JsonReport } from "./report/json.js";
import type { Source } from "./source/source.js";

// Only what `--version` needs is loaded with this file: the parsers, rules, config validation and
// report renderers are imported where a command first uses them, so that start-up stays that of node.
const rulesModule = () => import("./rules/index.js");
const nearestName = async (value: string, allowed: readonly string[]) => (await import("./config/validate.js")).nearest(value, allowed);

const FORMATS = ["markdown", "json", "sarif"] as const;
type Format = (typeof FORMATS)[number];
const FAIL_ON = ["important", "routine", "noted", "never"] as const;

/** Repositories with at least this many files get progress lines (on a terminal). */
const LARGE_REPOSITORY_FILES = 500;

export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

const USAGE = `Usage:
  index-audit [path] [options]     audit the PostgreSQL migrations and query code under path (default .)
  index-audit schema [path]        print the schema the migrations build, as JSON

Options:
  -f, --format <format>    markdown (default), json or sarif
  -c, --config <file>      config file (default: <path>/.github/index-audit.yml or .yaml)
      --fail-on <level>    important (default), routine, noted or never: exit 1 when a finding
                           is at or above this severity (overrides fail-on in the config)
  -o, --output <file>      write the report to a file instead of standard output
      --set <name>         schema: the migration set to print when there are several
      --verify             replay the migrations into PostgreSQL 18 (in process, no database
                           needed), plan each recommended index at the sizes in tables:,
                           and report statements PostgreSQL refuses (config: verify: true)
  -h, --help               show this help
  -v, --version            show the version

Exit status: 0 no finding at or above fail-on, 1 findings at or above fail-on,
2 usage, config or input error.

Every path in the output is relative to the audited path. To audit a folder named
"schema", write ./schema.
Config reference: https://github.com/index-audit/index-audit/blob/main/schema/index-audit.schema.json`;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether standard error is a terminal (progress lines go there only then). */
  stderrIsTTY: boolean;
  /** Today's date (YYYY-MM-DD) for the report header. */
  today: () => string;
}

class UsageError extends Error {}
/** A problem with the user's files rather than the command line: said plainly, without the usage hint. */
class InputError extends Error {}

function toolVersion(): string {
  // src/cli.ts and dist/cli.js both sit one folder below package.json.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function choice<T extends string>(value: string | undefined, allowed: readonly T[], option: string): Promise<T | undefined> {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const hint = await nearestName(value, allowed);
  throw new UsageError(`--${option} must be one of ${allowed.join(", ")}, not "${value}"${hint ? ` — did you mean "${hint}"?` : ""}`);
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: "string", short: "f" },
        config: { type: "string", short: "c" },
        "fail-on": { type: "string" },
        output: { type: "string", short: "o" },
        set: { type: "string" },
        verify: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (error) {
    io.stderr(`index-audit: ${(error as Error).message}\nRun "index-audit --help" for usage.\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    const { ALL_RULES } = await rulesModule();
    const width = Math.max(...ALL_RULES.map((r) => r.id.length));
    const rules = ALL_RULES.map((r) => `  ${r.id.padEnd(width)}  ${r.defaultSeverity.padEnd(9)}  ${r.description}`).join("\n");
    io.stdout(`${USAGE}\n\nRules (id, default severity; change either in the config's rules:):\n${rules}\n`);
    return EXIT.ok;
  }
  if (values.version) {
    io.stdout(`${toolVersion()}\n`);
    return EXIT.ok;
  }

  try {
    const schemaMode = positionals[0] === "schema";
    const rest = schemaMode ? positionals.slice(1) : positionals;
    if (rest.length > 1) throw new UsageError(`expected one path, got ${rest.length}: ${rest.join(" ")}`);
    const root = rest[0] ?? ".";
    await requireDirectory(root);
    const format = (await choice(values.format, FORMATS, "format")) ?? "markdown";
    const failOnFlag = await choice(values["fail-on"], FAIL_ON, "fail-on");
    if (schemaMode && (values.format || values["fail-on"])) {
      throw new UsageError("schema prints JSON and never fails on findings; --format and --fail-on do not apply");
    }
    if (!schemaMode && values.set !== undefined) throw new UsageError("--set applies to the schema command only");

    preload(schemaMode ? null : format);
    const loaded = await readConfig(root, values.config);
    if (!loaded.ok) {
      io.stderr(`index-audit: ${loaded.message}\n`);
      return EXIT.usage;
    }
    for (const warning of loaded.warnings) io.stderr(`index-audit: warning: ${warning}\n`);
    if (schemaMode && values.verify) throw new UsageError("--verify applies to an audit, not to the schema command");
    const config = { ...loaded.config, failOn: failOnFlag ?? loaded.config.failOn, verify: values.verify === true || loaded.config.verify };

    const { fsSource } = await import("./source/fs-source.js");
    const source = withProgressGate(fsSource(root));
    const onProgress = (message: string) => {
      if (io.stderrIsTTY && source.fileCount() >= LARGE_REPOSITORY_FILES) io.stderr(`index-audit: ${message}\n`);
    };

    if (schemaMode) {
      const text = await schemaJson(source, config, values.set, io);
      if (values.output) await writeOutput(values.output, [text]);
      else io.stdout(text);
      return EXIT.ok;
    }

    const { audit } = await import("./audit.js");
    let result: AuditResult | undefined = await audit(source, { config, onProgress });
    for (const skipped of result.skipped) io.stderr(`index-audit: left out ${skipped.root}: ${skipped.reason}\n`);
    if (result.sets.length === 0) {
      io.stderr(`index-audit: no migrations found under ${root}; if they are there, name their folder in migrations.paths of .github/index-audit.yml\n`);
    }
    const version = toolVersion();
    const { failsAt } = await import("./report/common.js");
    const fails = failsAt(result.findings, config.failOn);
    const summary = await summaryLine(result);
    let chunks: Iterable<string>;
    if (format === "json") {
      // The JSON report is written in pieces, and the statements' trees and the schema are let go before
      // it is: on a large repository the report as one string is as large as everything else held.
      const { buildJsonReport } = await import("./report/json.js");
      const report = buildJsonReport(result, version);
      result = undefined;
      chunks = jsonChunks(report);
    } else {
      chunks = [await render(format, result, { version, date: io.today(), config, subject: path.basename(path.resolve(root)) })];
    }
    if (values.output) {
      await writeOutput(values.output, chunks);
      io.stderr(`index-audit: wrote ${values.output} (${summary})\n`);
    } else {
      for (const text of batched(chunks)) io.stdout(text);
    }
    return fails ? EXIT.findings : EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`index-audit: ${error.message}\nRun "index-audit --help" for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof InputError) {
      io.stderr(`index-audit: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`index-audit: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.usage;
  }
}

/**
 * Starts loading what the command will need, without waiting for it: libpg-query's WASM then compiles on
 * V8's background threads and the modules' files are read on libuv's while this thread reads the config
 * and loads the audit, instead of leaving it idle when each is first awaited (measured: some 30 ms at the
 * parser's first use, 130 ms before the report on 10,000 migrations, where a large heap's collection
 * keeps both cores busy). `format` null: the schema command, which writes no report.
 */
function preload(format: Format | null): void {
  const loading: Array<Promise<unknown>> = [import("./sql/parser.js").then((m) => m.initParser()), import("./audit.js")];
  if (format !== null) {
    loading.push(import("./report/common.js"), import("./core/findings.js"));
    if (format === "json") loading.push(import("./report/json.js"));
    else if (format === "markdown") loading.push(import("./report/markdown.js"));
    else loading.push(import("./report/sarif.js"), rulesModule());
  }
  // Awaited where each is used; a failure surfaces there.
  for (const promise of loading) promise.catch(() => {});
}

/** The report in one format; each renderer is loaded only when its format is asked for. */
async function render(
  format: Format,
  result: AuditResult,
  options: { version: string; date: string; config: AuditConfig; subject: string },
): Promise<string> {
  switch (format) {
    case "json":
      return (await import("./report/json.js")).renderJson(result, options.version);
    case "sarif":
      return (await import("./report/sarif.js")).renderSarif(result, { version: options.version, rules: (await rulesModule()).ALL_RULES });
    case "markdown":
      return (await import("./report/markdown.js")).renderMarkdown(result, options);
  }
}

/** Pieces of text joined into writes of about 64 kB, so that a report in many pieces costs few writes. */
function* batched(chunks: Iterable<string>): Generator<string> {
  let pending: string[] = [];
  let length = 0;
  for (const chunk of chunks) {
    pending.push(chunk);
    length += chunk.length;
    if (length >= 65_536) {
      yield pending.join("");
      pending = [];
      length = 0;
    }
  }
  if (pending.length > 0) yield pending.join("");
}

/**
 * `renderJson`'s text in pieces: the report around its findings, then `perPiece` findings at a time. The
 * pieces joined are exactly `JSON.stringify(report, null, 2)` plus a newline: each group of findings is
 * stringified as the `findings` array of an object, which indents them as deep as the report does, and
 * the object's first and last lines are cut off. Groups rather than single findings: one stringify per
 * finding, re-indented by a replace over its text, took twice as long on 9,000 findings.
 */
export function* jsonChunks(report: JsonReport, perPiece = 128): Generator<string> {
  const marker = "\u0000findings";
  const outline = JSON.stringify({ ...report, findings: marker }, null, 2);
  const [before, after] = outline.split(JSON.stringify(marker));
  yield before;
  if (report.findings.length === 0) {
    yield "[]";
  } else {
    yield "[\n";
    const head = '{\n  "findings": [\n'.length;
    const tail = "\n  ]\n}".length;
    for (let i = 0; i < report.findings.length; i += perPiece) {
      const text = JSON.stringify({ findings: report.findings.slice(i, i + perPiece) }, null, 2);
      yield `${i > 0 ? ",\n" : ""}${text.slice(head, text.length - tail)}`;
    }
    yield "\n  ]";
  }
  yield `${after}\n`;
}

/** `index-audit schema`: the replayed model of one migration set, without running rules or reading code. */
async function schemaJson(source: Source, config: AuditConfig, setName: string | undefined, io: CliIO): Promise<string> {
  const [{ loadSchemas, textReader }, { discoverMigrationSets }, { schemaDump }, { initParser }] = await Promise.all([
    import("./audit.js"),
    import("./migrations/discover.js"),
    import("./schema/dump.js"),
    import("./sql/parser.js"),
  ]);
  await initParser();
  const read = textReader(source);
  const files = (await source.list()).map((f) => f.path);
  const discovered = await discoverMigrationSets(files, read, config);
  for (const p of discovered.problems) io.stderr(`index-audit: ${p.location.file}:${p.location.line}: ${p.message}\n`);
  const globalProblems: InputProblem[] = [];
  // The schema the audit uses: migrations replayed, a declared schema (schema.prisma, pgTable) joined to them or
  // standing in for a database with no migrations.
  const loaded = await loadSchemas(discovered.sets, files, read, globalProblems);
  for (const p of globalProblems) io.stderr(`index-audit: ${p.location.file}:${p.location.line}: ${p.message}\n`);
  const names = loaded.map((l) => l.set.name);
  if (loaded.length === 0) {
    io.stderr("index-audit: no migrations or declared schema found; the schema is empty\n");
    return `${JSON.stringify({ tables: [], views: [] }, null, 2)}\n`;
  }
  let chosen = loaded[0];
  if (setName !== undefined) {
    const named = loaded.find((l) => l.set.name === setName);
    if (!named) {
      const hint = await nearestName(setName, names);
      throw new UsageError(`no migration set "${setName}"${hint ? ` — did you mean "${hint}"?` : ""} (sets: ${names.join(", ")})`);
    }
    chosen = named;
  } else if (loaded.length > 1) {
    io.stderr(`index-audit: ${names.length} migration sets (${names.join(", ")}); printing ${chosen.set.name}, choose another with --set\n`);
  }
  if (chosen.declared?.standsAlone) io.stderr(`index-audit: no migrations for ${chosen.declared.files.join(", ")}: printing the declared schema\n`);
  // Statements the server would refuse are reported with the rest.
  for (const p of chosen.problems) io.stderr(`index-audit: ${p.location.file}:${p.location.line}:${p.location.column}: ${p.message}\n`);
  return `${JSON.stringify(schemaDump(chosen.schema), null, 2)}\n`;
}

/**
 * The config: `--config FILE`, else the file found under `root`, read and validated by config/load.ts; with
 * neither, the defaults, without loading the YAML parser, the schema validator (zod) or the rules' ids.
 */
async function readConfig(root: string, configFile: string | undefined): Promise<LoadOutcome> {
  if (configFile === undefined) {
    const { findConfig } = await import("./config/find.js");
    if ((await findConfig(root)) === undefined) {
      const { DEFAULT_CONFIG } = await import("./core/config.js");
      return { ok: true, config: DEFAULT_CONFIG, file: null, warnings: [] };
    }
  }
  const { loadConfig } = await import("./config/load.js");
  return loadConfig({ root, configFile, knownRules: await knownRuleIds() });
}

async function knownRuleIds(): Promise<string[]> {
  return (await rulesModule()).ALL_RULES.map((r) => r.id);
}

async function summaryLine(result: AuditResult): Promise<string> {
  const { severityRank } = await import("./core/findings.js");
  if (result.findings.length === 0) return "no findings";
  const counts = new Map<Severity, number>();
  for (const f of result.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => severityRank(a) - severityRank(b))
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
}

async function requireDirectory(root: string): Promise<void> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(root)).isDirectory();
  } catch {
    throw new UsageError(`path not found: ${root}`);
  }
  if (!isDirectory) throw new UsageError(`not a folder: ${root} (index-audit audits a repository folder)`);
}

/**
 * Creates `dir` and its missing parents, one level at a time. Node's recursive mkdir never returns
 * where an existing parent answers ENOENT for a child it cannot hold (a path under procfs, `/proc/x/y`):
 * it creates the parent again and retries. Here that mkdir fails once, with its error.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) {
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (error) {
      // Made meanwhile by another process: fine when it is a folder.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(d).isDirectory()) throw error;
    }
  }
}

async function writeOutput(file: string, chunks: Iterable<string>): Promise<void> {
  try {
    makeDirectories(path.dirname(path.resolve(file)));
    // Synchronous writes: nothing else runs meanwhile, and each awaited write of fs/promises first
    // copies its text into a Buffer of its own (measured about half the CPU time on a 15 MB report).
    const fd = openSync(file, "w");
    try {
      for (const text of batched(chunks)) writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new InputError(`cannot write ${file}: ${(error as Error).message}`);
  }
}

/** A Source that remembers how many files it listed, so progress is shown only for large trees. */
function withProgressGate(source: Source): Source & { fileCount(): number } {
  let count = 0;
  return {
    async list() {
      const files = await source.list();
      count = files.length;
      return files;
    },
    read: (p) => source.read(p),
    fileCount: () => count,
  };
}

function defaultIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    today: () => {
      // SOURCE_DATE_EPOCH makes the report reproducible (the reproducible-builds convention).
      const epoch = Number(process.env.SOURCE_DATE_EPOCH);
      const date = Number.isFinite(epoch) && process.env.SOURCE_DATE_EPOCH ? new Date(epoch * 1000) : new Date();
      return date.toISOString().slice(0, 10);
    },
  };
}

function invokedDirectly(): boolean {
  if (!process.argv[1]) return false;
  try {
    // npm's bin link is a symlink; compare real paths.
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

/**
 * V8 settings for a process that runs one audit and exits, set before libpg-query (which compiles its
 * WASM when imported) is loaded. All are V8 flags read when they apply, not at start-up only:
 * - `--liftoff-only`: V8 compiles WASM with its baseline compiler first and recompiles hot functions
 *   with TurboFan in the background. In a run of seconds that second compilation of libpg-query (and of
 *   PGlite under --verify) costs more time than it saves and leaves about 40 MB resident.
 * - `--no-wasm-generic-wrapper`: calls between JavaScript and WASM go through a wrapper compiled for
 *   their signature from the first call, not through V8's generic one until a call count is reached.
 *   libpg-query crosses that boundary several times per statement (its setjmp trampolines call back into
 *   the module through JavaScript): about 2% of the CPU time on 10,000 migrations.
 * - `--heap-growing-percent=50`: after each full collection the heap may grow by half the live data
 *   before the next, where V8 otherwise allows up to 4× on a machine with memory to spare. The rules
 *   make short-lived indexes over every statement; without a bound they pile up as garbage, about 50 MB
 *   on 10,000 migrations.
 * The GitHub App, a long-running process, keeps V8's defaults.
 */
export function tuneForOneShot(): void {
  v8.setFlagsFromString("--liftoff-only");
  v8.setFlagsFromString("--no-wasm-generic-wrapper");
  v8.setFlagsFromString("--heap-growing-percent=50");
}

if (invokedDirectly()) {
  tuneForOneShot();
  process.exitCode = await main(process.argv.slice(2), defaultIO());
}
