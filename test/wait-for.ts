/**
 * Reads until `ok` holds and returns what it read; fails with what never happened, and the last read,
 * after a deadline. The one way tests wait: for a condition, never for a fixed time.
 */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`within ${timeoutMs} ms: ${what}; last read ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until `condition` holds (see waitFor). */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(condition, (held) => held, what, timeoutMs);
}
