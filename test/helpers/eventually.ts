/**
 * Waits until `probe` gives something other than undefined/false, and returns it. Polls, because most of what
 * tests wait for (a process gone, a file removed, a line on a screen) has no event to listen to. The limit is
 * generous on purpose: it only matters when the test is failing anyway, and CI machines are slower than ours.
 */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what = 'a condition',
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
