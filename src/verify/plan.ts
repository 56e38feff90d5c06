// Reading EXPLAIN (FORMAT JSON): the shape of a plan as a reviewer reads it.
import type { PlanShape } from "../core/types.js";

export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  "Recheck Cond"?: string;
  Filter?: string;
  "Plan Rows"?: number;
  "Total Cost"?: number;
  Plans?: PlanNode[];
}

export function rootOf(plan: unknown): PlanNode {
  return (plan as Array<{ Plan: PlanNode }>)[0].Plan;
}

export function planNodes(plan: unknown): PlanNode[] {
  const out: PlanNode[] = [];
  const visit = (n: PlanNode) => {
    out.push(n);
    for (const child of n.Plans ?? []) visit(child);
  };
  visit(rootOf(plan));
  return out;
}

/** True when a node of the plan reads the named index (Index Scan, Index Only Scan, Bitmap Index Scan). */
export function usesIndex(plan: unknown, index: string): boolean {
  return planNodes(plan).some((n) => n["Index Name"] === index);
}

/** The plan's shape: the path from the root to the first scan of `relation` (or the first scan). */
export function planShape(plan: unknown, relation: string): PlanShape {
  const root = rootOf(plan);
  const path: PlanNode[] = [];
  const find = (n: PlanNode, trail: PlanNode[]): PlanNode[] | null => {
    const here = [...trail, n];
    if (n["Relation Name"] === relation || (n["Index Name"] && !n.Plans)) return here;
    for (const child of n.Plans ?? []) {
      const hit = find(child, here);
      if (hit) return hit;
    }
    return null;
  };
  path.push(...(find(root, []) ?? [root]));
  const scan = path[path.length - 1];
  const indexNode = scan["Index Name"] ? scan : (scan.Plans ?? []).find((c) => c["Index Name"]);
  const cond = indexNode?.["Index Cond"] ?? scan["Index Cond"] ?? scan["Recheck Cond"] ?? scan.Filter;
  const sort = planNodes(plan).some((n) => n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort");
  return {
    node: path.map((n) => n["Node Type"]).join(" > ") + (indexNode && indexNode !== scan ? ` > ${indexNode["Node Type"]}` : ""),
    ...(indexNode?.["Index Name"] ? { index: indexNode["Index Name"] } : {}),
    ...(cond ? { cond } : {}),
    rows: root["Plan Rows"] ?? 0,
    cost: root["Total Cost"] ?? 0,
    sort,
  };
}

/** `Seq Scan on call_logs (cost 125001, 1 row)`: one line for a report. */
export function shapeText(shape: PlanShape): string {
  const using = shape.index ? ` using ${shape.index}` : "";
  const cond = shape.cond ? `, ${shape.index ? "Index Cond" : "Filter"} ${shape.cond}` : "";
  return `${shape.node}${using}${cond} (cost ${formatCost(shape.cost)}, ${shape.rows.toLocaleString("en-US")} row${shape.rows === 1 ? "" : "s"})`;
}

export function formatCost(cost: number): string {
  return cost >= 100 ? Math.round(cost).toLocaleString("en-US") : String(Math.round(cost * 100) / 100);
}
