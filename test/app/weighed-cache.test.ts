// Caches bounded by the bytes their values hold, not by how many there are.
import { describe, expect, it } from "vitest";
import { WeighedCache } from "../../src/app/weighed-cache.js";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("a cache bounded in bytes", () => {
  it("forgets the least recently used values once their bytes pass the bound", async () => {
    const cache = new WeighedCache<string, string>(10, (v) => v.length);
    cache.set("a", Promise.resolve("aaaa"));
    cache.set("b", Promise.resolve("bbbb"));
    await settle();
    expect(cache.bytes).toBe(8);
    await cache.get("a"); // a is now the most recently used
    cache.set("c", Promise.resolve("cccc"));
    await settle();
    expect(cache.has("b")).toBe(false);
    expect(cache.has("a")).toBe(true);
    expect(cache.has("c")).toBe(true);
    expect(cache.bytes).toBe(8);
  });

  it("many small values fit where one large one would not; one value over the bound is kept while it is the only one", async () => {
    const cache = new WeighedCache<number, number>(100, (v) => v);
    for (let i = 0; i < 50; i++) cache.set(i, Promise.resolve(1));
    await settle();
    expect(cache.size).toBe(50);
    cache.set(99, Promise.resolve(500));
    await settle();
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(500);
  });

  it("shares a pending value at once and counts it when it settles; a replaced or deleted value stops counting", async () => {
    let resolve!: (v: string) => void;
    const pending = new Promise<string>((r) => (resolve = r));
    const cache = new WeighedCache<string, string>(100, (v) => v.length);
    cache.set("k", pending);
    expect(cache.get("k")).toBe(pending);
    expect(cache.bytes).toBe(0);
    resolve("twelve chars");
    await settle();
    expect(cache.bytes).toBe(12);
    cache.set("k", Promise.resolve("xy"));
    await settle();
    expect(cache.bytes).toBe(2);
    cache.delete("k");
    expect(cache.bytes).toBe(0);
    const failing = Promise.reject(new Error("no"));
    cache.set("f", failing);
    await settle();
    expect(cache.bytes).toBe(0);
  });
});
