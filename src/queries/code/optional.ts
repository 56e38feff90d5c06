// Which names of a function may hold `undefined`, as the TypeScript source declares them: an optional
// parameter (`type?: Kind`), a destructured option with no default whose declared type marks it optional
// (`{ userId, type }: { userId: number; type?: Kind }`, or a type alias / interface of the same file), or
// one typed `X | undefined`. A client that leaves out a filter whose value is `undefined` (Prisma Client,
// "Null and undefined") then sends the query without it on some calls.
import type { Node } from "./ast.js";

/** Type aliases and interfaces of one file, by name, as the members they declare. */
export class OptionalNames {
  private declared: Map<string, Node[]> | undefined;

  private optionalKeys: Set<string> | undefined;

  constructor(private readonly program: Node) {}

  /**
   * Whether some object type written in this file declares a property `name` that may be left out
   * (`pageX?: number`, `pageX: number | undefined`), at any depth (`fields: { pageX?: number }[]`), and none
   * declares it required: a read `item.pageX` then may be undefined, as TypeScript types it. A name that one
   * type declares optional and another required is not decided here (the read's type is not resolved).
   */
  optionalMember(name: string): boolean {
    if (!this.optionalKeys) {
      const keys = new Set<string>();
      const required = new Set<string>();
      const visit = (node: Node, depth: number): void => {
        if (!node || typeof node !== "object" || depth > 400) return;
        if (Array.isArray(node)) {
          for (const child of node) visit(child, depth + 1);
          return;
        }
        if (node.type === "TSPropertySignature" && !node.computed) {
          const key: string | undefined = node.key?.name ?? node.key?.value;
          if (key !== undefined) (node.optional || this.allowsUndefined(node.typeAnnotation?.typeAnnotation) ? keys : required).add(key);
        }
        for (const k in node) {
          const child = node[k];
          if (k !== "parent" && k !== "loc" && k !== "range" && child && typeof child === "object") visit(child as Node, depth + 1);
        }
      };
      visit(this.program, 0);
      for (const key of required) keys.delete(key);
      this.optionalKeys = keys;
    }
    return this.optionalKeys.has(name);
  }

  /** The names `param` binds that may be undefined when the function runs. */
  ofParam(param: Node): Set<string> {
    const out = new Set<string>();
    if (!param) return out;
    if (param.type === "Identifier") {
      if (param.optional || this.allowsUndefined(param.typeAnnotation?.typeAnnotation)) out.add(param.name);
      return out;
    }
    if (param.type === "ObjectPattern") {
      const members = this.members(param.typeAnnotation?.typeAnnotation);
      for (const prop of param.properties ?? []) {
        if (prop.type !== "Property" || prop.computed) continue;
        // A default (`page = 1`) replaces undefined.
        if (prop.value?.type !== "Identifier") continue;
        const key: string | undefined = prop.key?.name ?? prop.key?.value;
        const member = key !== undefined ? members?.get(key) : undefined;
        if (member && (member.optional || this.allowsUndefined(member.typeAnnotation?.typeAnnotation))) out.add(prop.value.name);
      }
    }
    return out;
  }

  /** `X | undefined`, `undefined`. */
  private allowsUndefined(type: Node | undefined): boolean {
    if (!type) return false;
    if (type.type === "TSUndefinedKeyword") return true;
    if (type.type === "TSUnionType") return (type.types ?? []).some((t: Node) => this.allowsUndefined(t));
    return false;
  }

  /** The property signatures of an object type: a literal, a same-file alias or interface, an intersection. */
  private members(type: Node | undefined, depth = 0): Map<string, Node> | undefined {
    if (!type || depth > 8) return undefined;
    if (type.type === "TSTypeLiteral") return signatures(type.members);
    if (type.type === "TSIntersectionType") {
      const out = new Map<string, Node>();
      for (const t of type.types ?? []) for (const [k, v] of this.members(t, depth + 1) ?? []) out.set(k, v);
      return out;
    }
    if (type.type === "TSTypeReference" && type.typeName?.type === "Identifier") {
      const found = this.declarations().get(type.typeName.name);
      if (!found) return undefined;
      const out = new Map<string, Node>();
      for (const d of found) {
        const part = d.type === "TSInterfaceDeclaration" ? signatures(d.body?.body) : this.members(d.typeAnnotation, depth + 1);
        for (const [k, v] of part ?? []) out.set(k, v);
        for (const h of d.extends ?? []) {
          const name = h.expression?.type === "Identifier" ? h.expression.name : undefined;
          if (name) for (const [k, v] of this.members({ type: "TSTypeReference", typeName: { type: "Identifier", name } }, depth + 1) ?? []) if (!out.has(k)) out.set(k, v);
        }
      }
      return out;
    }
    return undefined;
  }

  private declarations(): Map<string, Node[]> {
    if (this.declared) return this.declared;
    const map = new Map<string, Node[]>();
    for (const statement of this.program.body ?? []) {
      const d = statement.type === "ExportNamedDeclaration" || statement.type === "ExportDefaultDeclaration" ? statement.declaration : statement;
      if ((d?.type === "TSTypeAliasDeclaration" || d?.type === "TSInterfaceDeclaration") && d.id?.name) map.set(d.id.name, [...(map.get(d.id.name) ?? []), d]);
    }
    this.declared = map;
    return map;
  }
}

function signatures(list: Node[] | undefined): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const m of list ?? []) {
    if (m.type !== "TSPropertySignature" || m.computed) continue;
    const key: string | undefined = m.key?.name ?? m.key?.value;
    if (key !== undefined) out.set(key, m);
  }
  return out;
}

/**
 * The names a test proves are not undefined when it is `truthy` (or, with `truthy` false, when it fails):
 * `if (kind)`, `if (kind !== undefined)`, `if (kind != null)`, `if (a && kind)`, and `if (!kind) return`
 * for the code after it. TypeScript narrows the same way ("Narrowing" in its handbook: truthiness and
 * equality narrowing).
 */
export function definedBy(test: Node | null | undefined, truthy: boolean, out = new Set<string>()): Set<string> {
  if (!test) return out;
  const n = test.type === "ParenthesizedExpression" ? test.expression : test;
  if (n.type === "Identifier") {
    if (truthy) out.add(n.name);
  } else if (n.type === "UnaryExpression" && n.operator === "!") {
    definedBy(n.argument, !truthy, out);
  } else if (n.type === "LogicalExpression") {
    if (n.operator === "&&" && truthy) {
      definedBy(n.left, true, out);
      definedBy(n.right, true, out);
    } else if (n.operator === "||" && !truthy) {
      definedBy(n.left, false, out);
      definedBy(n.right, false, out);
    }
  } else if (n.type === "BinaryExpression") {
    const sides = [n.left, n.right];
    const name = sides.find((s: Node) => s?.type === "Identifier" && s.name !== "undefined")?.name as string | undefined;
    const other = sides.find((s: Node) => s?.type !== "Identifier" || s.name === "undefined");
    const nullish = other && ((other.type === "Identifier" && other.name === "undefined") || (other.type === "Literal" && other.value === null));
    const typeofUndefined =
      (n.left?.type === "UnaryExpression" && n.left.operator === "typeof" && n.left.argument?.type === "Identifier" && n.right?.value === "undefined") ? n.left.argument.name as string : undefined;
    if (typeofUndefined) {
      if ((n.operator === "!==" || n.operator === "!=") === truthy) out.add(typeofUndefined);
    } else if (name && nullish) {
      // `x != null` and `x !== undefined` exclude undefined; `x !== null` does not.
      const excludes = n.operator === "!=" || (n.operator === "!==" && other.type === "Identifier");
      const includes = n.operator === "==" || (n.operator === "===" && other.type === "Identifier");
      if ((excludes && truthy) || (includes && !truthy)) out.add(name);
    }
  }
  return out;
}

/** Whether a statement always leaves the enclosing block: `return`, `throw`, `continue`, `break`. */
export function exits(node: Node | null | undefined): boolean {
  if (!node) return false;
  if (node.type === "ReturnStatement" || node.type === "ThrowStatement" || node.type === "ContinueStatement" || node.type === "BreakStatement") return true;
  if (node.type === "BlockStatement") return exits(node.body?.[node.body.length - 1]);
  return false;
}

/**
 * Whether a value written to a field may be `undefined`, which Prisma Client reads as "leave this field
 * out" ("Null and undefined"): `undefined` itself, `x ?? undefined`, `c ? v : undefined`, a name that may
 * hold undefined (`optionalName`), `a?.b`, or a read `a.b` of a property some type of the file declares
 * optional (`optionalMember`).
 */
export function mayOmit(value: Node | null | undefined, optionalName: (name: string) => boolean, optionalMember: (name: string) => boolean, depth = 0): boolean {
  if (!value || depth > 20) return false;
  let n = value;
  while (n && (n.type === "TSAsExpression" || n.type === "TSSatisfiesExpression" || n.type === "ParenthesizedExpression" || n.type === "TSTypeAssertion" || n.type === "ChainExpression")) n = n.expression;
  if (!n) return false;
  // `x!` asserts a value.
  if (n.type === "TSNonNullExpression") return false;
  if (n.type === "Identifier") return n.name === "undefined" || optionalName(n.name);
  if (n.type === "UnaryExpression") return n.operator === "void";
  if (n.type === "LogicalExpression") return n.operator === "&&" ? false : mayOmit(n.right, optionalName, optionalMember, depth + 1);
  if (n.type === "ConditionalExpression") return mayOmit(n.consequent, optionalName, optionalMember, depth + 1) || mayOmit(n.alternate, optionalName, optionalMember, depth + 1);
  if (n.type === "MemberExpression") {
    // `a?.b`, `a?.b.c`: undefined when `a` is.
    for (let m: Node = n; m?.type === "MemberExpression" || m?.type === "CallExpression"; m = m.type === "MemberExpression" ? m.object : m.callee) if (m.optional) return true;
    const key: string | undefined = n.computed ? undefined : n.property?.name;
    return key !== undefined && optionalMember(key);
  }
  return false;
}
