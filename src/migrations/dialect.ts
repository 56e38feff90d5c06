// Telling PostgreSQL migrations from other databases' that share a naming scheme (ClickHouse, MySQL,
// SQLite, SQL Server folders in the same repository).
import type { TextReader } from "../source/source.js";
import { parseSql } from "../sql/parser.js";
import { segments } from "./paths.js";

/** Folder names that say which database a folder is for. */
const OTHER_DATABASES: Record<string, string> = {
  clickhouse: "ClickHouse",
  mysql: "MySQL",
  mariadb: "MariaDB",
  sqlite: "SQLite",
  sqlite3: "SQLite",
  mssql: "SQL Server",
  sqlserver: "SQL Server",
  tsql: "SQL Server",
  oracle: "Oracle",
  cassandra: "Cassandra",
  bigquery: "BigQuery",
  snowflake: "Snowflake",
  duckdb: "DuckDB",
  spanner: "Spanner",
  mongodb: "MongoDB",
  mongo: "MongoDB",
};

/** Syntax only other databases accept; it counts only when PostgreSQL's parser also rejects the file. */
const FOREIGN_SYNTAX: Array<[RegExp, string]> = [
  [/\bENGINE\s*=\s*\w*MergeTree\b/i, "ClickHouse"],
  [/\bENGINE\s*=\s*(InnoDB|MyISAM|Aria|MEMORY|Kafka|Log|TinyLog|Distributed)\b/i, "MySQL or ClickHouse"],
  [/\bAUTO_INCREMENT\b/i, "MySQL"],
  [/\bAUTOINCREMENT\b/i, "SQLite"],
  [/^\s*PRAGMA\s+\w+/im, "SQLite"],
  [/\bIDENTITY\s*\(\s*\d+\s*,\s*\d+\s*\)/i, "SQL Server"],
  [/^\s*GO\s*$/im, "SQL Server"],
  [/\bVARCHAR2\s*\(/i, "Oracle"],
  [/`\w+`/, "MySQL"],
];

/** The other database a folder path names, e.g. `clickhouse/migrations` -> ClickHouse. */
export function databaseNamedByPath(path: string): string | null {
  for (const segment of segments(path)) {
    for (const word of segment.toLowerCase().split(/[-_.\s]+/)) {
      const name = OTHER_DATABASES[word];
      if (name) return name;
    }
  }
  return null;
}

const SAMPLE_FILES = 3;

/** Looks at the first few files: a reason when their SQL is clearly another database's, else null. */
export async function foreignDialect(paths: string[], read: TextReader): Promise<string | null> {
  for (const path of paths.slice(0, SAMPLE_FILES)) {
    const result = await read(path);
    if (!result.ok) continue;
    const code = result.text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ");
    for (const [pattern, dialect] of FOREIGN_SYNTAX) {
      const match = pattern.exec(code);
      if (match && !parseSql(result.text).ok) return `${dialect} SQL (\`${match[0].trim()}\` in ${path})`;
    }
  }
  return null;
}
