// compareText() must order any two texts as localeCompare does: paths of the common alphabet without ICU,
// any other text through it.
import { describe, expect, it } from "vitest";
import { compareText } from "../../src/advisor/text-order.js";

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

describe("compareText", () => {
  it("orders texts as localeCompare does", () => {
    const next = random(7);
    const letters = "_-./0123456789abcdefghijklmnopqrstuvwxyzAZé ~$";
    const texts = ["", "a", "a/b", "a-b", "a_b", "a.b", "a/b.ts", "apps/web/x.ts", "apps/Web/x.ts", "10", "9", "b", "ab", "a/"];
    for (let i = 0; i < 400; i++) {
      const common = i % 2 === 0;
      const length = 1 + Math.floor(next() * 8);
      let text = "";
      for (let k = 0; k < length; k++) text += letters[Math.floor(next() * (common ? 40 : letters.length))];
      texts.push(text, `${text}${letters[Math.floor(next() * 40)]}`);
    }
    for (const a of texts) for (const b of texts) expect([a, b, Math.sign(compareText(a, b))]).toEqual([a, b, Math.sign(a.localeCompare(b))]);
  });
});
