// Collections whose length the code fixes, not the data: a literal array, a module-level constant,
// an enum, the keys/values/entries of a constant or imported object, a registry a class fills from
// code (job definitions, handlers). A loop over one runs the same number of times for every request,
// so a query inside it is a fixed number of round trips, not N+1.
import { peel, SKIP_KEYS, type Node } from "./ast.js";

/** `TEAM_ROLES`, `MAX_RETRIES`: the naming convention for constants. */
const CONSTANT_NAME = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{2,}[0-9]*$/;

/** Array methods whose result has at most the elements of the array they are called on. */
const SUBSET_METHODS = new Set(["filter", "slice", "map", "toSorted", "sort", "reverse", "toReversed", "values", "keys", "entries"]);

export class FixedLists {
  /** Module-level names bound to a fixed list or object -> how a message names it. */
  private readonly names = new Map<string, string>();
  /** Names imported from another module. */
  private readonly imports = new Set<string>();
  /** Class fields (`this.jobs`) only ever set to a literal: registries the code fills. */
  private readonly registries = new Set<string>();

  constructor(program: Node) {
    for (const statement of program.body ?? []) this.collectTop(statement);
    this.collectClasses(program);
  }

  /** Whether a module-level name is imported (a configuration object such as `env` is). */
  isImported(name: string): boolean {
    return this.imports.has(name);
  }

  /**
   * How a message names the fixed list an iterable walks (`` `TEAM_ROLES`, a constant ``), or undefined
   * when its length may depend on the data. `locals` holds the function's own names bound to fixed lists.
   */
  describe(node: Node | null | undefined, locals: ReadonlyMap<string, string>): string | undefined {
    if (!node) return undefined;
    const n = peel(node);
    switch (n.type) {
      case "ArrayExpression": {
        const elements = n.elements ?? [];
        if (elements.some((e: Node | null) => e?.type === "SpreadElement" && !this.describe(e.argument, locals))) return undefined;
        return elements.some((e: Node | null) => e?.type === "SpreadElement") ? "a list written in the code" : `a list of ${elements.length} written in the code`;
      }
      case "Identifier":
        // A local binding shadows the module's name; "" marks a local that holds no fixed list.
        if (locals.has(n.name)) return locals.get(n.name) || undefined;
        return this.names.get(n.name) ?? (this.imports.has(n.name) && CONSTANT_NAME.test(n.name) ? `\`${n.name}\`, a constant` : undefined);
      case "MemberExpression": {
        if (n.computed) return undefined;
        const object = peel(n.object);
        if (object.type === "ThisExpression") return this.registries.has(n.property?.name) ? `\`this.${n.property.name}\`, filled by the code` : undefined;
        // A member of a constant object: `ROLES.admin.permissions`.
        const base = object.type === "Identifier" ? this.constantObject(object.name, locals) : undefined;
        return base ? `\`${object.name}.${n.property?.name}\`, a constant` : undefined;
      }
      case "CallExpression": {
        const callee = peel(n.callee);
        if (callee.type !== "MemberExpression" || callee.computed) return undefined;
        const method = callee.property?.name;
        const object = peel(callee.object);
        if (object.type === "Identifier" && object.name === "Object" && (method === "values" || method === "keys" || method === "entries")) {
          const arg = n.arguments?.[0] ? peel(n.arguments[0]) : undefined;
          if (!arg) return undefined;
          if (arg.type === "Identifier") {
            const known = this.constantObject(arg.name, locals);
            return known ? `the ${method} of ${known}` : undefined;
          }
          const inner = this.describe(arg, locals);
          return inner ? `the ${method} of ${inner}` : undefined;
        }
        return method && SUBSET_METHODS.has(method) ? this.describe(callee.object, locals) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** An object whose keys the code fixes: a module constant, an enum, or an imported object (`Role`, `JOBS`). */
  private constantObject(name: string, locals: ReadonlyMap<string, string>): string | undefined {
    if (locals.has(name)) return locals.get(name) || undefined;
    const known = this.names.get(name);
    if (known) return known;
    // An imported object is module state: its keys are whatever the code wrote (an enum, a config map).
    return this.imports.has(name) ? `\`${name}\`, defined in the code` : undefined;
  }

  private collectTop(statement: Node): void {
    if (statement.type === "ImportDeclaration") {
      if (statement.importKind === "type") return;
      for (const spec of statement.specifiers ?? []) if (spec.local?.name && spec.importKind !== "type") this.imports.add(spec.local.name);
      return;
    }
    if ((statement.type === "ExportNamedDeclaration" || statement.type === "ExportDefaultDeclaration") && statement.declaration) return this.collectTop(statement.declaration);
    if (statement.type === "TSEnumDeclaration" && statement.id?.name) {
      this.names.set(statement.id.name, `the enum \`${statement.id.name}\``);
      return;
    }
    if (statement.type !== "VariableDeclaration" || statement.kind !== "const") return;
    for (const d of statement.declarations ?? []) {
      if (d.id?.type !== "Identifier" || !d.init) continue;
      const init = frozen(peel(d.init));
      if (init.type === "ObjectExpression" || (init.type === "ArrayExpression" && this.describe(init, new Map()))) this.names.set(d.id.name, `\`${d.id.name}\`, a constant`);
    }
  }

  /** Class fields initialised and only ever re-set to a literal array, object, `Map` or `Set`. */
  private collectClasses(node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) this.collectClasses(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    const n = node as Node;
    if ((n.type === "ClassDeclaration" || n.type === "ClassExpression") && n.body?.body) {
      const literal = new Set<string>();
      const other = new Set<string>();
      for (const member of n.body.body) {
        if (member.type === "PropertyDefinition" && !member.computed && !member.static && member.key?.name && member.value) {
          (isLiteralCollection(member.value) ? literal : other).add(member.key.name);
        }
      }
      thisAssignments(n.body, (field, value) => (isLiteralCollection(value) ? literal : other).add(field));
      for (const field of literal) if (!other.has(field)) this.registries.add(field);
    }
    // for...in, not Object.entries: this walks every node of the file, and the entry arrays fed the GC.
    for (const key in n) {
      const value = n[key];
      if (value && typeof value === "object" && !SKIP_KEYS.has(key)) this.collectClasses(value);
    }
  }
}

/** `Object.freeze([...])` holds the array it freezes. */
function frozen(node: Node): Node {
  if (node.type === "CallExpression") {
    const callee = peel(node.callee);
    if (callee.type === "MemberExpression" && peel(callee.object).name === "Object" && callee.property?.name === "freeze" && node.arguments?.[0]) return peel(node.arguments[0]);
  }
  return node;
}

function isLiteralCollection(value: Node): boolean {
  const v = peel(value);
  if (v.type === "ArrayExpression" || v.type === "ObjectExpression") return true;
  return v.type === "NewExpression" && (peel(v.callee).name === "Map" || peel(v.callee).name === "Set") && (v.arguments?.length ?? 0) === 0;
}

/** Every `this.field = value` in a class body. */
function thisAssignments(node: unknown, found: (field: string, value: Node) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) thisAssignments(item, found);
    return;
  }
  if (!node || typeof node !== "object") return;
  const n = node as Node;
  if (n.type === "AssignmentExpression" && n.left?.type === "MemberExpression" && !n.left.computed && peel(n.left.object).type === "ThisExpression" && n.left.property?.name) {
    found(n.left.property.name, n.right);
  }
  for (const key in n) {
    const value = n[key];
    if (value && typeof value === "object" && !SKIP_KEYS.has(key)) thisAssignments(value, found);
  }
}
