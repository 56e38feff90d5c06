// Where a SQL file stops being PostgreSQL: scripts kept for several databases put a `-- MySQL` section
// after the PostgreSQL one, and MySQL's syntax (backtick identifiers, `ENGINE=`, `AUTO_INCREMENT`) is
// not PostgreSQL's. Used only once PostgreSQL's parser has refused the text.
// Sources: MySQL 8.0 Reference Manual, "Schema Object Names" (backticks), CREATE TABLE (ENGINE,
// AUTO_INCREMENT); PostgreSQL docs 4.1.1 "Identifiers and Key Words" (only double quotes quote).

export interface ForeignDialect {
  /** 0-based offset where the other dialect's part begins (its section header, else its first sign). */
  offset: number;
  /** 1-based line of `offset`. */
  line: number;
  /** The dialect named by the header, or the one the sign belongs to. */
  dialect: string;
  /** What gave it away, for the message: "a `-- MySQL` section header", "backtick identifiers", ... */
  sign: string;
}

const OTHER_DIALECTS = ["MySQL", "MariaDB", "SQLite", "ClickHouse", "SQL Server", "MSSQL", "T-SQL", "Oracle", "CockroachDB"];
const HEADER = new RegExp(`^[ \\t]*(?:--|#)[ \\t-]*(${OTHER_DIALECTS.map((d) => d.replace(/[-\s]/g, "[-\\s]?")).join("|")})\\b[^\\n]*$`, "gim");
const SIGNS: Array<{ pattern: RegExp; sign: string }> = [
  { pattern: /`[^`\n]+`/, sign: "backtick identifiers" },
  { pattern: /\bENGINE\s*=/i, sign: "`ENGINE=`" },
  { pattern: /\bAUTO_INCREMENT\b/i, sign: "`AUTO_INCREMENT`" },
];

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Blank out comments and string literals (keeping offsets), so signs inside them do not count. */
function codeOnly(text: string): string {
  return text.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, (m) => m.replace(/[^\n]/g, " "));
}

/**
 * The start of another SQL dialect's part of `text`, or null when there is none at or before `failedAt` (the
 * offset where PostgreSQL's parser stopped): a section header comment naming another database, else the first
 * MySQL sign (backtick identifier, `ENGINE=`, `AUTO_INCREMENT`) in code outside comments and strings.
 */
export function foreignDialectStart(text: string, failedAt: number): ForeignDialect | null {
  const code = codeOnly(text);
  let sign: { offset: number; sign: string } | undefined;
  for (const s of SIGNS) {
    const m = s.pattern.exec(code);
    if (m && m.index <= failedAt && (!sign || m.index < sign.offset)) sign = { offset: m.index, sign: s.sign };
  }
  let header: { offset: number; dialect: string } | undefined;
  for (const m of text.matchAll(HEADER)) {
    if ((m.index ?? 0) > failedAt) break;
    header = { offset: m.index ?? 0, dialect: m[1] };
  }
  if (header) return { offset: header.offset, line: lineOf(text, header.offset), dialect: header.dialect, sign: `a \`-- ${header.dialect}\` section header` };
  if (sign) return { offset: sign.offset, line: lineOf(text, sign.offset), dialect: "MySQL", sign: sign.sign };
  return null;
}
