// `npm run build`: TypeScript to dist/ (the GitHub App, the library entry and the type declarations),
// then the CLI bundled by esbuild over the compiled dist/cli.js. Node then resolves and reads a few
// dozen files for a command where it read several hundred (ours, zod's, yaml's, the deparser's).
// - Two entries: dist/cli.js and dist/parse-worker.js (the parse pool's worker thread, started by URL
//   from the bundle beside it). Code splitting keeps each command's modules loaded where it first
//   needs them, so `--version` still loads only node's own; the shared chunks are dist/cli-*.js.
// - libpg-query, oxc-parser and PGlite stay in node_modules: they load a .wasm file or a native
//   addon from beside their own code.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");

// Chunk names carry a content hash: start from an empty folder so that no earlier build's chunk stays.
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
await build({
  absWorkingDir: root,
  entryPoints: { cli: "src/cli.ts", "parse-worker": "src/source/parse-worker.ts" },
  outdir: "dist",
  chunkNames: "cli-[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["libpg-query", "oxc-parser", "@electric-sql/pglite"],
  // CommonJS dependencies (yaml) call require() for node's modules; an ES module has none of its own.
  banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
  sourcemap: true,
  // V8 scans every module's whole text when it loads it (and again for each function it compiles):
  // without indentation and comments the audit's modules load some 10% faster. Names stay as written,
  // so stack traces still name functions; the source maps give lines.
  minifyWhitespace: true,
  logLevel: "warning",
});
