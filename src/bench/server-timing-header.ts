/** Reads a `Server-Timing` header (`upstream;dur=1.2, total;dur=1.5`) into stage durations. */

const ENTRY = /(?:^|,)\s*([A-Za-z0-9_.-]+)\s*(?:;[^,]*?\bdur=([0-9.]+))?[^,]*/g;

/** Calls `onStage(name, ms)` for every entry that has a duration. */
export function readServerTiming(header: string, onStage: (name: string, ms: number) => void): void {
  ENTRY.lastIndex = 0;
  for (let match = ENTRY.exec(header); match !== null; match = ENTRY.exec(header)) {
    if (match[0] === '') {
      ENTRY.lastIndex++;
      continue;
    }
    const [, name, dur] = match;
    if (name !== undefined && dur !== undefined) onStage(name.toLowerCase(), Number(dur));
  }
}
