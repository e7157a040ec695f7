// How much a span of work grows this process's RSS: the memory it holds, not garbage the
// collector has not reached yet. When and how far V8 lets garbage pile up differs between Node
// lines (Node 24 first collects the streamed chunks of a 256 MB answer past ~70 MB of them;
// Node 20 well before), so a bound on raw RSS would measure the Node line, not our code. When
// growth looks large the sampler collects first (the test processes run with --expose-gc, see
// vitest.config.ts) and reads again.

/** Samples every 20 ms from now; stop() gives the peak growth in bytes. */
export function rssGrowth(): { stop: () => number } {
  const before = process.memoryUsage().rss;
  let peak = before;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    let rss = process.memoryUsage().rss;
    if (rss - before > 16 << 20 && gc !== undefined) {
      gc();
      rss = process.memoryUsage().rss;
    }
    peak = Math.max(peak, rss);
  };
  const timer = setInterval(sample, 20);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak - before;
    },
  };
}
