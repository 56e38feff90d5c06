// Reading files one after another leaves the parser idle while each read waits on the disk (or the
// network, for the GitHub source); keeping a few reads in flight overlaps the two.
import type { TextReader } from "../source/source.js";
import type { TextResult } from "../source/source.js";

const WINDOW = 16;

/** Yields each path with its read result, in the order given, with up to WINDOW reads in flight. */
export async function* readInOrder(paths: string[], read: TextReader, window = WINDOW): AsyncGenerator<[string, TextResult]> {
  const inFlight = new Map<number, Promise<TextResult>>();
  const start = (k: number): void => {
    if (k < paths.length) inFlight.set(k, read(paths[k]));
  };
  for (let k = 0; k < Math.min(window, paths.length); k++) start(k);
  for (let k = 0; k < paths.length; k++) {
    const result = await inFlight.get(k)!;
    inFlight.delete(k);
    start(k + window);
    yield [paths[k], result];
  }
}
