// Replays migration statements, in apply order, into the schema they build: tables, columns,
// constraints, indexes and views, under the names PostgreSQL gives them. Pure and single-pass; statements
// outside the model are skipped, and statements about tables the migrations never created are ignored.
// This file dispatches each statement to its family (replay-tables, -constraints, -indexes, -alter,
// -renames-drops, -views); the state they share is in replay-state.ts.
import type { InputProblem, Schema, Statement } from "../core/types.js";
import { nodeKind } from "./ast.js";
import { alterTable } from "./replay-alter.js";
import { alterIndex, createIndex } from "./replay-indexes.js";
import { drop, rename, setSchema } from "./replay-renames-drops.js";
import { ReplayState } from "./replay-state.js";
import { createTable } from "./replay-tables.js";
import { alterView, createTableAs, createView, moveView } from "./replay-views.js";

export { DEFAULT_SCHEMA } from "./replay-state.js";

class SchemaReplay extends ReplayState {
  apply(statement: Statement): void {
    this.begin(statement);
    const [kind, node] = nodeKind(statement.ast);
    this.applyNode(kind, node, null);
  }

  applyNode(kind: string, node: any, schemaOverride: string | null): void {
    switch (kind) {
      case "CreateStmt":
        return createTable(this, node, schemaOverride);
      case "AlterTableStmt":
        if (node.objtype === "OBJECT_TABLE") alterTable(this, node);
        else if (node.objtype === "OBJECT_INDEX") alterIndex(this, node);
        else if (node.objtype === "OBJECT_VIEW") alterView(this, node);
        return;
      case "IndexStmt":
        return createIndex(this, node, schemaOverride);
      case "DropStmt":
        return drop(this, node);
      case "RenameStmt":
        return rename(this, node);
      case "AlterObjectSchemaStmt":
        if (!node.relation || !node.newschema) return;
        if (node.objectType === "OBJECT_TABLE" || node.objectType === "OBJECT_MATVIEW") {
          const table = this.resolve(node.relation);
          if (table) setSchema(this, table, node.newschema);
        } else if (node.objectType === "OBJECT_VIEW") {
          const view = this.resolveView(node.relation);
          if (view && !this.relationsOf(node.newschema).has(view.name)) moveView(this, view, node.newschema, view.name);
        }
        return;
      case "CreateSchemaStmt": {
        // Elements of CREATE SCHEMA see the new schema first on the search path.
        const saved = this.searchPath;
        if (node.schemaname) this.searchPath = [node.schemaname, ...saved];
        try {
          for (const element of node.schemaElts ?? []) {
            const [elementKind, elementNode] = nodeKind(element);
            this.applyNode(elementKind, elementNode, node.schemaname ?? null);
          }
        } finally {
          this.searchPath = saved;
        }
        return;
      }
      case "ViewStmt":
        return createView(this, node, schemaOverride);
      case "CreateTableAsStmt":
        if (node.objtype === "OBJECT_TABLE" || node.objtype === "OBJECT_MATVIEW") createTableAs(this, node.into, node.query, schemaOverride, node.objtype === "OBJECT_MATVIEW");
        return;
      case "SelectStmt":
        // SELECT ... INTO creates a table, as CREATE TABLE AS does.
        if (node.intoClause) createTableAs(this, node.intoClause, { SelectStmt: { ...node, intoClause: undefined } }, schemaOverride);
        return;
      case "CreateSeqStmt":
      case "CreateForeignTableStmt": {
        const relation = kind === "CreateForeignTableStmt" ? node.base?.relation : node.sequence;
        if (relation?.relname && relation.relpersistence !== "t") {
          this.addRelation(relation.schemaname ?? schemaOverride ?? this.creationSchema(), relation.relname);
        }
        return;
      }
      case "VariableSetStmt":
        if (node.name === "search_path") this.setSearchPath(node);
        return;
      default:
        return;
    }
  }

  finish(): Schema {
    const tables = [...this.tables.values()].sort(
      (a, b) => this.tableState.get(a)!.order - this.tableState.get(b)!.order,
    );
    for (const table of tables) {
      const state = this.tableState.get(table)!;
      table.checkConstraints = [...state.checks.keys(), ...state.notNull.values()];
    }
    return { tables, views: [...this.views.values()] };
  }
}

/**
 * The schema the statements build, replayed in order. Statements PostgreSQL would refuse (an index
 * or constraint naming a column the table lacks) are left out and reported into `problems`.
 */
export function replaySchema(statements: Statement[], problems?: InputProblem[]): Schema {
  const replay = new SchemaReplay();
  for (const statement of statements) {
    try {
      replay.apply(statement);
    } catch {
      // A statement shape the model does not know is outside the model: skip it, keep the rest.
    }
  }
  problems?.push(...replay.problems);
  return replay.finish();
}
