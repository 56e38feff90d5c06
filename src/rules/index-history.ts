// Tables and indexes the migrations create, and where, as index-locking replays them: "existing" means
// made by an earlier file or not by these migrations at all. Plus the small readers of parser nodes it uses.
import type { Statement } from "../core/types.js";
import { deparseNode } from "../sql/parser.js";
import { nameParts } from "./sql-text.js";

export interface Origin {
  fileOrder: number;
  file: string;
}

export interface IndexOrigin extends Origin {
  table: string | null;
}

/** Tables and indexes the migrations create, and where: "existing" means made by an earlier file or not by these migrations. */
export class History {
  readonly tables = new Map<string, Origin>();
  readonly indexes = new Map<string, IndexOrigin>();
  readonly partitioned = new Set<string>();

  tableExistedBefore(name: string, statement: Statement): boolean {
    const origin = this.tables.get(name);
    return !origin || origin.fileOrder < statement.fileOrder;
  }

  indexExistedBefore(name: string, statement: Statement): boolean {
    const origin = this.indexes.get(name);
    return !origin || origin.fileOrder < statement.fileOrder;
  }

  whereCreated(name: string): string {
    const origin = this.tables.get(name);
    return origin ? `was created in ${origin.file}, an earlier migration` : "is not created by these migrations, so it already exists in the database";
  }
}

export function relationName(relation: Record<string, any> | undefined): { schema: string; name: string; key: string } | null {
  if (!relation?.relname) return null;
  const schema: string = relation.schemaname ?? "public";
  return { schema, name: relation.relname, key: `${schema}.${relation.relname}` };
}

export function qualifiedList(items: Array<Record<string, any>>): { schema: string; name: string; key: string } {
  const parts = nameParts(items);
  const name = parts[parts.length - 1] ?? "";
  const schema = parts.length > 1 ? parts[parts.length - 2] : "public";
  return { schema, name, key: `${schema}.${name}` };
}

export function hasConcurrentlyOption(params: Array<Record<string, any>> | undefined): boolean {
  return (params ?? []).some((p) => p.DefElem?.defname === "concurrently");
}

export function elemLabel(elem: Record<string, any>): string {
  const e = elem.IndexElem ?? {};
  if (e.name) return e.name;
  try {
    return e.expr ? deparseNode(e.expr) : "?";
  } catch {
    return "?";
  }
}

