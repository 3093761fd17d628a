// Minimal Prometheus text-format reading: enough to sum one metric over all its series.

/** Sum of every sample of `name` (all label sets, e.g. one per worker); null when absent. */
export function sumMetric(text, name) {
  let sum = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue; // a longer name with the same prefix
    const value = Number(
      rest
        .slice(rest.lastIndexOf('}') + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** Fetches a /metrics page; null when it is unavailable (the soak then falls back to /proc). */
export async function scrape(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    return response.ok ? await response.text() : null;
  } catch {
    return null;
  }
}
