// Static values a file names: string constants, enums, `as const` objects, names imported from the
// repository's constants modules, and names bound to a database client. A name bound twice to
// different values is dropped, never guessed.
import type { SharedConstants } from "../shared-constants.js";
import { literalString, peel, SKIP_KEYS, type Node } from "./ast.js";

export class StaticValues {
  private readonly strings = new Map<string, string | null>();
  private readonly objects = new Map<string, Map<string, string> | null>();
  /** Local name -> the exported name it imports (`import { TABLES as T }`). */
  private readonly imports = new Map<string, string>();
  private readonly clients = new Set<string>();
  private collected = false;

  constructor(
    private readonly program: Node,
    private readonly shared: SharedConstants,
    /** Whether an initializer creates a database client (any client recognizer's factory). */
    private readonly isClientFactory: (init: Node) => boolean,
  ) {}

  /** The string an expression holds: a literal, a constant, an enum or object member, an imported constant. */
  string(node: Node | undefined): string | undefined {
    if (!node) return undefined;
    const n = peel(node);
    const literal = literalString(n);
    if (literal !== undefined) return literal;
    if (n.type === "Identifier") {
      this.ensure();
      if (this.strings.has(n.name)) return this.strings.get(n.name) ?? undefined;
      const imported = this.imports.get(n.name);
      return imported !== undefined ? this.shared.strings.get(imported) ?? undefined : undefined;
    }
    if (n.type === "MemberExpression" && n.object?.type === "Identifier") {
      this.ensure();
      const imported = this.imports.get(n.object.name);
      const members = this.objects.has(n.object.name) ? this.objects.get(n.object.name) : imported !== undefined ? this.shared.objects.get(imported) : undefined;
      const key = n.computed ? literalString(n.property) : n.property?.name;
      return key !== undefined ? members?.get(key) : undefined;
    }
    return undefined;
  }

  /** Whether `name` is assigned from a client factory somewhere in the file. */
  isClient(name: string): boolean {
    this.ensure();
    return this.clients.has(name);
  }

  /** Constants are read on first need: most files name their tables with literals. */
  private ensure(): void {
    if (this.collected) return;
    this.collected = true;
    this.collect(this.program);
  }

  private collect(node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) this.collect(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    const n = node as Node;
    if (n.type === "ImportDeclaration") {
      for (const spec of n.specifiers ?? []) {
        if (spec.type === "ImportSpecifier" && spec.local?.name) this.imports.set(spec.local.name, spec.imported?.name ?? spec.imported?.value ?? spec.local.name);
      }
      return;
    }
    if (n.type === "VariableDeclarator" && n.id?.type === "Identifier" && n.init) {
      const name = n.id.name as string;
      const init = peel(n.init);
      const str = literalString(init);
      if (str !== undefined) this.bindString(name, str);
      else if (init.type === "ObjectExpression") this.bindObject(name, init);
      else if (this.isClientFactory(init)) this.clients.add(name);
      else if (this.strings.has(name)) this.strings.set(name, null);
    }
    if (n.type === "TSEnumDeclaration" && n.id?.name) {
      const members = new Map<string, string>();
      for (const member of n.body?.members ?? n.members ?? []) {
        const key = member.id?.name ?? member.id?.value;
        const value = literalString(member.initializer);
        if (key !== undefined && value !== undefined) members.set(key, value);
      }
      this.objects.set(n.id.name, this.objects.has(n.id.name) ? null : members);
    }
    for (const key in n) {
      const value = n[key];
      if (value && typeof value === "object" && !SKIP_KEYS.has(key)) this.collect(value);
    }
  }

  private bindString(name: string, value: string): void {
    const previous = this.strings.get(name);
    this.strings.set(name, previous === undefined || previous === value ? value : null);
  }

  private bindObject(name: string, init: Node): void {
    const members = new Map<string, string>();
    for (const prop of init.properties ?? []) {
      if (prop.type !== "Property" || prop.computed) continue;
      const key = prop.key?.name ?? prop.key?.value;
      const value = literalString(peel(prop.value));
      if (typeof key === "string" && value !== undefined) members.set(key, value);
    }
    this.objects.set(name, this.objects.has(name) ? null : members);
  }
}
