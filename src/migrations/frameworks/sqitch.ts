// Sqitch: the changes listed in sqitch.plan, in plan order, each deployed by deploy/<change>.sql.
import type { InputProblem } from "../../core/types.js";
import { basename, dirname, isUnder, joinPath, naturalCompare, normalizePath } from "../paths.js";
import { listingAt, problemAt, readText, type Candidate, type DiscoverContext, type FrameworkModule } from "./framework.js";

// Sqitch's pg engine runs each deploy script through psql in autocommit: it adds no transaction of its
// own, which is why its deploy templates write BEGIN; ... COMMIT; in the script.
const SQITCH_RUNS_IN_TRANSACTION = false;

interface SqitchConf {
  engine?: string;
  topDir?: string;
  deployDir?: string;
}

/** Reads the few settings that say where deploy scripts live and which engine they target. */
function parseConf(text: string): SqitchConf {
  const conf: SqitchConf = {};
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, "").trim();
    if (!line) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1].replace(/\s+/g, " ").replace(/"/g, "").toLowerCase();
      continue;
    }
    const kv = /^([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const key = kv[1].toLowerCase();
    const value = kv[2].trim().replace(/^"(.*)"$/, "$1");
    if (section !== "core" && section !== "engine pg") continue;
    if (key === "engine" && section === "core") conf.engine = value;
    if (key === "top_dir") conf.topDir = value;
    if (key === "deploy_dir") conf.deployDir = value;
  }
  return conf;
}

interface PlanChange {
  name: string;
  line: number;
  /** The first tag after this change, which names its script once the change is reworked. */
  nextTag?: string;
}

/** Changes in deploy order; `-change` lines (reverts in old plans) and tags are not deployments. */
export function parsePlan(text: string): PlanChange[] {
  const changes: PlanChange[] = [];
  const lines = text.split(/\r?\n/);
  for (const [k, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("%")) continue;
    if (line.startsWith("@")) {
      const tag = /^@(\S+)/.exec(line)?.[1];
      for (let j = changes.length - 1; j >= 0 && tag && !changes[j].nextTag; j--) changes[j].nextTag = tag;
      continue;
    }
    if (line.startsWith("-")) continue;
    const name = /^\+?([^\s[#]+)/.exec(line)?.[1];
    if (name) changes.push({ name, line: k + 1 });
  }
  return changes;
}

export const sqitch: FrameworkModule = {
  framework: "sqitch",

  detect(files) {
    return files
      .filter((f) => basename(f) === "sqitch.plan")
      .map((plan): Candidate => {
        const root = dirname(plan);
        // Claims the plan, its config and the deploy/revert/verify scripts, nothing else under the project.
        const own = files.filter(
          (f) => isUnder(f, root) && (f === plan || basename(f) === "sqitch.conf" || /(^|\/)(deploy|revert|verify)\/[^/]+\.sql$/.test(f)),
        );
        return { root, files: own };
      });
  },

  async build({ root, files }, ctx) {
    const problems: InputProblem[] = [];
    const confPath = joinPath(root, "sqitch.conf");
    const conf = ctx.fileSet.has(confPath) ? parseConf((await readText(ctx, confPath)) ?? "") : {};
    if (conf.engine && conf.engine !== "pg") {
      return { set: null, problems, skipped: `Sqitch project for engine ${conf.engine} (${confPath}), not PostgreSQL` };
    }
    const planPath = files.find((f) => basename(f) === "sqitch.plan" && dirname(f) === root) ?? joinPath(root, "sqitch.plan");
    const planText = await readText(ctx, planPath);
    if (planText === null) return { set: null, problems: [problemAt(planPath, "sqitch.plan cannot be read")] };
    const deployDir = resolveDeployDir(root, conf, ctx);

    const changes = parsePlan(planText);
    const lastIndex = new Map<string, number>();
    changes.forEach((c, k) => lastIndex.set(c.name, k));
    const ordered: string[] = [];
    for (const [k, change] of changes.entries()) {
      // A reworked change keeps its latest script as deploy/<change>.sql; earlier deployments of it
      // use the copy named after the tag that followed them, deploy/<change>@<tag>.sql.
      const reworked = lastIndex.get(change.name) !== k && change.nextTag;
      const script = joinPath(deployDir, reworked ? `${change.name}@${change.nextTag}.sql` : `${change.name}.sql`);
      if (ctx.fileSet.has(script)) ordered.push(script);
      else problems.push(listingAt(planPath, `sqitch.plan lists change "${change.name}" but ${script} does not exist`, change.line));
    }
    // A deploy script of no planned change is never deployed by Sqitch; like Drizzle's unlisted files it
    // is most likely a change whose plan line was lost, so it is read after the planned ones, and reported.
    const planned = new Set(changes.map((c) => c.name));
    const unlisted = files
      .filter((f) => dirname(f) === deployDir && f.endsWith(".sql") && !planned.has(basename(f).slice(0, -4).replace(/@[^@]*$/, "")))
      .sort((a, b) => naturalCompare(basename(a), basename(b)));
    for (const path of unlisted) {
      problems.push(listingAt(path, `${path} is not a change in ${planPath}: Sqitch does not deploy it; audited after the planned changes`));
      ordered.push(path);
    }
    return {
      set: {
        name: root || ".",
        framework: "sqitch",
        root,
        files: ordered.map((path, order) => ({ path, order, runsInTransaction: SQITCH_RUNS_IN_TRANSACTION })),
      },
      problems,
    };
  },
};

function resolveDeployDir(root: string, conf: SqitchConf, ctx: DiscoverContext): string {
  if (conf.deployDir) return joinPath(root, normalizePath(conf.deployDir));
  const top = conf.topDir ? joinPath(root, normalizePath(conf.topDir)) : root;
  const deploy = joinPath(top, "deploy");
  // Early Sqitch versions defaulted to sql/deploy.
  const legacy = joinPath(top, "sql/deploy");
  const hasDeploy = ctx.files.some((f) => isUnder(f, deploy));
  if (!hasDeploy && ctx.files.some((f) => isUnder(f, legacy))) return legacy;
  return deploy;
}
