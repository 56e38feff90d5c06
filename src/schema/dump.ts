// The replayed model as JSON (`index-audit schema`): what the tool believes the migrations built.
import type { FkAction, IndexConstraintKind, Location, Schema } from "../core/types.js";
import { indexColumns } from "./lookup.js";

export interface SchemaDump {
  tables: Array<{
    schema: string;
    name: string;
    columns: Array<{ name: string; type: string; nullable: boolean }>;
    primaryKey: { name: string; columns: string[] } | null;
    indexes: Array<{
      name: string;
      columns: string[];
      unique: boolean;
      method: string;
      where: string | null;
      constraint: IndexConstraintKind | null;
    }>;
    foreignKeys: Array<{
      name: string;
      columns: string[];
      references: { schema: string; table: string; columns: string[] };
      onDelete: FkAction;
      /** Present and true for a relation only the application enforces (Prisma relationMode = "prisma"): no constraint in the database. */
      applicationOnly?: true;
    }>;
    location: Location;
  }>;
  /** Views (materialized views are tables above): the table each reads, when the audit can see through it. */
  views: Array<{
    schema: string;
    name: string;
    columns: Array<{ name: string; type: string; baseColumn: string | null }>;
    base: { schema: string; table: string; where: string | null } | null;
    unresolved: string | null;
    securityInvoker: boolean;
    location: Location;
  }>;
}

export function schemaDump(schema: Schema): SchemaDump {
  return {
    tables: schema.tables.map((table) => ({
      schema: table.schema,
      name: table.name,
      columns: table.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
      primaryKey: table.primaryKey ? { name: table.primaryKey.name, columns: [...table.primaryKey.columns] } : null,
      indexes: table.indexes.map((index) => ({
        name: index.name,
        columns: indexColumns(index),
        unique: index.unique,
        method: index.method,
        where: index.where,
        constraint: index.constraint,
      })),
      foreignKeys: table.foreignKeys.map((fk) => ({
        name: fk.name,
        columns: [...fk.columns],
        references: { schema: fk.references.schema, table: fk.references.table, columns: [...fk.references.columns] },
        onDelete: fk.onDelete,
        ...(fk.applicationOnly ? { applicationOnly: true as const } : {}),
      })),
      location: { ...table.location },
    })),
    views: (schema.views ?? []).map((view) => ({
      schema: view.schema,
      name: view.name,
      columns: view.columns.map((c) => ({ name: c.name, type: c.type, baseColumn: c.baseColumn })),
      base: view.base ? { schema: view.base.schema, table: view.base.table, where: view.base.where } : null,
      unresolved: view.unresolved ?? null,
      securityInvoker: view.securityInvoker,
      location: { ...view.location },
    })),
  };
}
