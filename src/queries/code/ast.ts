// Small readers of the oxc (ESTree-shaped) AST that the code walker and every client recognizer share.

/** An oxc AST node: ESTree shape, `start`/`end` byte offsets. */
export type Node = Record<string, any>;

/** Keys that hold no code: positions and type annotations. */
export const SKIP_KEYS = new Set(["type", "start", "end", "range", "loc", "typeAnnotation", "returnType", "typeParameters", "typeArguments", "decorators"]);

/** Strips what does not change a value: `x as T`, `x!`, `(x)`, `<T>x`, `x satisfies T`, `a?.b` wrappers. */
export function peel(node: Node): Node {
  let n = node;
  while (n && (n.type === "TSAsExpression" || n.type === "TSSatisfiesExpression" || n.type === "TSNonNullExpression" || n.type === "ParenthesizedExpression" || n.type === "TSTypeAssertion" || n.type === "ChainExpression")) {
    n = n.expression;
  }
  return n;
}

export function isFunction(node: Node | undefined): boolean {
  return node?.type === "ArrowFunctionExpression" || node?.type === "FunctionExpression";
}

/** A string literal or a template with no interpolation, or undefined. */
export function literalString(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0]?.value?.cooked ?? undefined;
  if (node.type === "TSAsExpression" || node.type === "TSSatisfiesExpression") return literalString(node.expression);
  return undefined;
}

export interface ChainCall {
  method: string;
  args: Node[];
  node: Node;
  /** Offset of the method name (where a query is reported). */
  propertyStart: number;
}

/** `a.b(1).c(2)` -> root `a`, calls [b(1), c(2)]. */
export function flattenChain(node: Node): { root: Node; calls: ChainCall[] } {
  const calls: ChainCall[] = [];
  let current = peel(node);
  while (current?.type === "CallExpression") {
    const callee = peel(current.callee);
    if (callee.type !== "MemberExpression") break;
    const method = callee.computed ? literalString(callee.property) : callee.property?.name;
    if (!method) break;
    calls.unshift({ method, args: current.arguments, node: current, propertyStart: callee.property.start });
    current = peel(callee.object);
  }
  return { root: current, calls };
}

/** A builder chain ending in `.then()` / `.catch()` / `.finally()` has been sent: a promise, not a builder. */
export function runsNow(node: Node): boolean {
  // A prepared statement (Drizzle `.prepare()`) is defined once and executed later by name.
  return flattenChain(node).calls.some((c) => c.method === "then" || c.method === "catch" || c.method === "finally" || c.method === "prepare");
}

/** The method name of `x.name(...)`'s callee, when written plainly. */
export function calleeMethod(node: Node): string | undefined {
  const callee = peel(node.callee);
  return callee.type === "MemberExpression" && !callee.computed ? callee.property?.name : undefined;
}
