// A map of promised values bounded by an estimate of the bytes the settled values hold, least
// recently used out first. The app keeps commit trees and audit results this way: an entry count
// says nothing about memory when one repository's tree lists 300 files and another's 300,000.

export class WeighedCache<K, V> {
  private readonly entries = new Map<K, { value: Promise<V>; bytes: number }>();
  private total = 0;

  /**
   * @param maxBytes what the settled values may hold in all (bytes, estimated by `weigh`).
   * @param weigh an estimate of the bytes one settled value holds.
   */
  constructor(
    readonly maxBytes: number,
    private readonly weigh: (value: V) => number,
  ) {}

  get(key: K): Promise<V> | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Keeps the promise at once (so concurrent readers share it); its weight counts once it settles. */
  set(key: K, value: Promise<V>): this {
    this.delete(key);
    const entry = { value, bytes: 0 };
    this.entries.set(key, entry);
    value.then(
      (settled) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = this.weigh(settled);
        this.total += entry.bytes;
        this.evict();
      },
      () => {},
    );
    return this;
  }

  delete(key: K): boolean {
    const old = this.entries.get(key);
    if (!old) return false;
    this.total -= old.bytes;
    return this.entries.delete(key);
  }

  /** Estimated bytes held by the settled values. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxBytes) return;
      // The newest entry stays even when it alone is over the bound: it is in use now.
      if (this.entries.size === 1) return;
      this.delete(key);
    }
  }
}
