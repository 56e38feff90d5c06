// Remembers the result of reading one file (its parsed statements, its query patterns) by the file's
// content, so that auditing the base and the head of a pull request, and later pushes, parse only
// what changed. Bounded by the size of the texts it was given, least recently used out first.

export class FileMemo {
  private readonly entries = new Map<string, { value: unknown; weight: number }>();
  private total = 0;

  /**
   * @param maxChars how much source text the remembered results may stand for in all; parsed trees
   * take some tens of times the memory of their text, so the default keeps them to a few hundred MB.
   */
  constructor(private readonly maxChars = 8 * 1024 * 1024) {}

  /**
   * The value computed for this kind of work on this exact text, computing it on a miss. `context`
   * is whatever else the result depends on (the file's path and apply order, shared constants...).
   */
  get<T>(kind: string, context: string, text: string, compute: () => T): T {
    const key = `${kind}\u0000${context}\u0000${text}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Re-inserting moves the entry to the young end of the map's order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value as T;
    }
    const value = compute();
    const weight = key.length;
    if (weight > this.maxChars) return value;
    this.entries.set(key, { value, weight });
    this.total += weight;
    for (const [oldKey, old] of this.entries) {
      if (this.total <= this.maxChars) break;
      this.entries.delete(oldKey);
      this.total -= old.weight;
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Characters of source text the remembered results stand for (what `maxChars` bounds). */
  get chars(): number {
    return this.total;
  }
}
