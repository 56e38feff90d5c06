// Bookkeeping that keeps audits honest when webhooks overlap: running audits (so tests and
// shutdown can wait for them), and bounded key sets and maps.

/** Audits started behind acknowledged webhooks. */
export class RunRegistry {
  private readonly running = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once no audit is running, including audits started while waiting. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/** Remembers the last `capacity` keys; `add` answers false when the key was already there. */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity: number) {}

  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }

  delete(key: string): void {
    this.keys.delete(key);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}

/** A map that forgets its oldest entries beyond `capacity`. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.has(key)) this.delete(key);
    super.set(key, value);
    while (this.size > this.capacity) this.delete(this.keys().next().value as K);
    return this;
  }
}
