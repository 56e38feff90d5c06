// Builder variables across branches: what a variable holding a query builder stands for after an
// `if`, a `switch` or a loop body that may or may not have run.
import type { BuilderVariant } from "../clients/client.js";

/** Variable name -> the queries it may hold. */
export type Bindings = Map<string, BuilderVariant[]>;

/** Beyond this many branch combinations a chain keeps its unconditional steps and marks the rest conditional. */
const MAX_VARIANTS = 4;

/**
 * Joins the builder variables after branches. When every branch of an if/else changes a chain,
 * each branch is its own query (one variant per branch). When some path leaves it unchanged, the
 * steps added on the other paths are kept but marked conditional: the query runs with or without them.
 */
export function mergeBranches(before: Bindings, branches: Bindings[], exhaustive: boolean): Bindings {
  const merged: Bindings = new Map(before);
  for (const [name, original] of before) {
    const after = branches.map((b) => b.get(name));
    const changed = after.filter((v) => v !== original);
    if (changed.length === 0) continue;
    if (after.some((v) => v === undefined)) {
      merged.delete(name);
      continue;
    }
    const known = new Set(original.flatMap((v) => v.steps));
    const markNew = (v: BuilderVariant): BuilderVariant => ({ ...v, steps: v.steps.map((s) => (known.has(s) ? s : { ...s, conditional: true })) });
    if (exhaustive && changed.length === after.length) {
      const union = after.flatMap((v) => v!);
      if (union.length <= MAX_VARIANTS) {
        merged.set(name, union);
        continue;
      }
    }
    // One variant per original, carrying every step any branch added, marked conditional.
    const added = changed.flatMap((variants) => variants!.flatMap((v) => markNew(v).steps.filter((s) => !known.has(s))));
    const tables = new Set(changed.flatMap((variants) => variants!.map((v) => v.table)));
    if ([...tables].some((t) => !original.some((o) => o.table === t))) {
      merged.set(name, [...original, ...changed.flatMap((variants) => variants!.map(markNew))].slice(0, MAX_VARIANTS));
      continue;
    }
    merged.set(name, original.map((v) => ({ ...v, steps: [...v.steps, ...added] })));
  }
  return merged;
}
