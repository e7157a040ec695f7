// Waiting for a condition a test cannot be told about (a server's counters, a socket's state).

/** Polls `cond` every 5 ms for at most `ms`: whether it came to hold. */
export async function until(cond: () => boolean, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 5)))
    if (Date.now() > end) return false;
  return true;
}
