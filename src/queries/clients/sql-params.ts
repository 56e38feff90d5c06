// Where the parameters of a parsed statement sit: which ones an UPDATE writes, which ones are compared
// as a set (`= ANY($1)`, `IN ($1)`), and which interpolations stand where a clause or a column goes
// rather than a value (`WHERE ${cond}`, `ORDER BY ${column}`, `${column} = $1`), which makes the
// statement unknown. Node names are libpg-query's (PostgreSQL's parsenodes.h / primnodes.h).
type Node = Record<string, any>;

/** The parameter number of `$n` or `$n::type`, or undefined. */
function paramNumber(node: Node | undefined): number | undefined {
  if (!node) return undefined;
  if (node.ParamRef) return node.ParamRef.number;
  if (node.TypeCast) return paramNumber(node.TypeCast.arg);
  return undefined;
}

function each(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) each(item, visit);
    return;
  }
  if (!node || typeof node !== "object") return;
  visit(node as Node);
  for (const value of Object.values(node)) if (value && typeof value === "object") each(value, visit);
}

function paramsIn(node: unknown): number[] {
  const out: number[] = [];
  each(node, (n) => {
    if (n.ParamRef) out.push(n.ParamRef.number);
  });
  return out;
}

function hasColumn(node: unknown): boolean {
  let found = false;
  each(node, (n) => {
    if (n.ColumnRef) found = true;
  });
  return found;
}

export interface ParamRoles {
  /** Parameters written by `UPDATE ... SET`. */
  set: Set<number>;
  /** Parameters compared as a set: `col = ANY($n)`, `col IN ($n, ...)`. */
  membership: Set<number>;
}

export function paramRoles(ast: Node): ParamRoles {
  const roles: ParamRoles = { set: new Set(), membership: new Set() };
  each(ast, (n) => {
    if (n.UpdateStmt) for (const p of paramsIn(n.UpdateStmt.targetList)) roles.set.add(p);
    const expr = n.A_Expr;
    if (expr && (expr.kind === "AEXPR_OP_ANY" || expr.kind === "AEXPR_IN")) for (const p of paramsIn(expr.rexpr)) roles.membership.add(p);
  });
  return roles;
}

/**
 * Whether one of `pasted` (parameter numbers that stand for template interpolations) sits where a
 * condition, a sort key or a compared column goes: then what the statement filters on is unknown.
 */
export function pastesClause(ast: Node, pasted: ReadonlySet<number>): boolean {
  if (pasted.size === 0) return false;
  const isPasted = (node: Node | undefined) => {
    const n = paramNumber(node);
    return n !== undefined && pasted.has(n);
  };
  // Conditions: WHERE, HAVING and JOIN ... ON, at every query level.
  const conditions: Node[] = [];
  let found = false;
  each(ast, (n) => {
    for (const key of ["SelectStmt", "UpdateStmt", "DeleteStmt"]) {
      const stmt = n[key];
      if (!stmt) continue;
      if (stmt.whereClause) conditions.push(stmt.whereClause);
      if (stmt.havingClause) conditions.push(stmt.havingClause);
      if (stmt.sortClause?.some((s: Node) => isPasted(s.SortBy?.node))) found = true;
      if (stmt.groupClause?.some((g: Node) => isPasted(g))) found = true;
    }
    if (n.JoinExpr?.quals) conditions.push(n.JoinExpr.quals);
  });
  for (const condition of conditions) {
    if (isPasted(condition)) found = true;
    each(condition, (n) => {
      if (n.BoolExpr?.args?.some((a: Node) => isPasted(a))) found = true;
      if (n.NullTest && isPasted(n.NullTest.arg)) found = true;
      if (n.BooleanTest && isPasted(n.BooleanTest.arg)) found = true;
      // `${column} = $1`: a comparison with no column on either side compares pasted text.
      const expr = n.A_Expr;
      if (expr && (isPasted(expr.lexpr) || isPasted(expr.rexpr)) && !hasColumn(expr.lexpr) && !hasColumn(expr.rexpr)) found = true;
    });
  }
  return found;
}

/** A predicate or order expression holding a bound value (`batch_id % $1`): no index can hold it. */
export function holdsParameter(expressionText: string): boolean {
  return /(^|[^\w$'])\$\d+/.test(expressionText);
}
