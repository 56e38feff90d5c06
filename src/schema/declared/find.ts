// Finds the declared schemas of a repository: Prisma schemas (a schema.prisma, or the .prisma files of a
// `prisma/schema/` folder, the prismaSchemaFolder layout) and Drizzle table declarations (the files a
// drizzle config's `schema` names, else files named like a schema that import drizzle-orm/pg-core).
import type { TextReader } from "../../source/source.js";
import type { InputProblem } from "../../core/types.js";
import { DEFAULT_OUT, DRIZZLE_CONFIG, foreignDrizzleDialect, readDrizzleConfig, resolveFromConfig } from "../../migrations/frameworks/drizzle-config.js";
import { dirname, globMatches, joinPath, normalizePath, segments } from "../../migrations/paths.js";
import { mayDeclareDrizzleTables, readDrizzleSchema } from "./drizzle.js";
import { readPrismaSchema } from "./prisma.js";
import type { DeclaredRead } from "./ddl.js";

/** Folders whose files are tests, vendored or generated code, never the application's schema. */
const NOT_APPLICATION = new Set(["node_modules", "test", "tests", "__tests__", "fixtures", "__fixtures__", "testdata", "vendor", "dist", "build", ".next"]);

/** Files Prisma Client writes beside the copy of the schema it keeps in its output folder. */
const GENERATED_CLIENT = ["index.d.ts", "edge.js", "default.d.ts", "wasm.js"];

/** Where a declared schema sits: the folder used to pair it with a migration set. */
export interface DeclaredSource {
  read: DeclaredRead;
  /**
   * The folder of the schema (Prisma: the schema file's or schema folder's parent; Drizzle: the config's `out`
   * folder when it holds files, else the config's folder, or the package folder of schema-named files).
   */
  root: string;
}

function applicationFile(path: string): boolean {
  return !segments(dirname(path)).some((s) => NOT_APPLICATION.has(s.toLowerCase()));
}

/** Reads every declared schema; files that cannot be read are reported and the rest go on. */
export async function findDeclaredSchemas(files: string[], read: TextReader): Promise<{ sources: DeclaredSource[]; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  const sources: DeclaredSource[] = [];
  const fileSet = new Set(files);
  const readAll = async (paths: string[]): Promise<Array<{ path: string; text: string }>> => {
    const out: Array<{ path: string; text: string }> = [];
    for (const path of paths) {
      const result = await read(path);
      if (result.ok) out.push({ path, text: result.text });
      else problems.push({ message: `${path}:1: ${result.reason}`, location: { file: path, line: 1, column: 1 } });
    }
    return out;
  };

  // Prisma: group the files of a `schema` folder; any other .prisma file is a schema of its own.
  const groups = new Map<string, string[]>();
  for (const path of files) {
    if (!path.endsWith(".prisma") || !applicationFile(path)) continue;
    if (GENERATED_CLIENT.some((f) => fileSet.has(joinPath(dirname(path), f)))) continue;
    const parts = segments(dirname(path));
    const at = parts.lastIndexOf("schema");
    const key = at === -1 ? path : parts.slice(0, at + 1).join("/");
    groups.set(key, [...(groups.get(key) ?? []), path]);
  }
  const seen = new Set<string>();
  for (const [key, paths] of groups) {
    const texts = await readAll(paths.sort());
    // The same schema copied elsewhere (a generated client's copy that slipped the checks) counts once.
    const fingerprint = texts.map((t) => t.text).join("\u0000");
    if (texts.length === 0 || seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    const result = readPrismaSchema({ files: texts });
    if (result.declared.provider && !/^(postgres|postgresql|cockroachdb)$/.test(result.declared.provider)) continue;
    sources.push({ read: result, root: dirname(key) });
  }

  // Drizzle: the config's `schema` entries, else schema-named files.
  const configs = files.filter((f) => DRIZZLE_CONFIG.test(f) && applicationFile(f));
  const claimed = new Set<string>();
  for (const config of configs) {
    const text = await read(config);
    if (!text.ok) continue;
    const parsed = readDrizzleConfig(config, text.text);
    if (!parsed || foreignDrizzleDialect(parsed)) continue;
    const entries = parsed.schema;
    if (entries.length === 0) continue;
    const base = dirname(config);
    // Paired with the migrations drizzle-kit writes from it: its `out` folder, wherever that sits.
    const out = resolveFromConfig(config, parsed.out ?? DEFAULT_OUT);
    const root = out !== null && files.some((f) => f.startsWith(`${out}/`)) ? out : base;
    const globs = entries.map((e) => resolveFromConfig(config, e) ?? normalizePath(joinPath(base, e.replace(/^\.\//, ""))));
    const matched = files.filter((f) => /\.(ts|tsx|js|mjs|cjs|mts)$/.test(f) && globs.some((g) => globMatches(g, f) || f.startsWith(g.replace(/\/$/, "") + "/")));
    const texts = (await readAll(matched)).filter((t) => mayDeclareDrizzleTables(t.text));
    if (texts.length === 0) continue;
    for (const t of texts) claimed.add(t.path);
    sources.push({ read: readDrizzleSchema(texts), root });
  }
  // The name tests first: applicationFile splits the path, and most files of a repository fail on the name.
  const byName = files.filter(
    (f) => /\.(ts|mts|js|mjs)$/.test(f) && !/\.d\.ts$/.test(f) && /(^|\/)(schema|schemas|tables)(\/|\.)|\.schema\.|(^|\/)db\/[^/]+\.(ts|js)$/.test(f) && !claimed.has(f) && applicationFile(f),
  );
  if (byName.length > 0) {
    const texts = (await readAll(byName)).filter((t) => mayDeclareDrizzleTables(t.text));
    // One declared schema per package: the nearest folder holding a package.json.
    const byPackage = new Map<string, Array<{ path: string; text: string }>>();
    for (const t of texts) {
      let dir = dirname(t.path);
      while (dir && !fileSet.has(joinPath(dir, "package.json"))) dir = dirname(dir);
      byPackage.set(dir, [...(byPackage.get(dir) ?? []), t]);
    }
    for (const [dir, group] of byPackage) sources.push({ read: readDrizzleSchema(group), root: dir });
  }
  for (const source of sources) problems.push(...source.read.problems);
  return { sources: sources.filter((s) => s.read.declared.models.length > 0), problems };
}
