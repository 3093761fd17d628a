// Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) into self and inclusive time per
// function and self time per area (Turnpike's own modules, dependencies, Node internals, GC), so
// a report can say where the CPU of one worker went.
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** The largest `.cpuprofile` in `dir` (a busy worker's, not the idle primary's); null when none. */
export async function largestProfile(dir) {
  let best = null;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.cpuprofile')) continue;
    const path = join(dir, name);
    const { size } = await stat(path);
    if (!best || size > best.size) best = { path, size };
  }
  return best?.path ?? null;
}

/** Where a function lives: `dist/<file>` for Turnpike, the package for dependencies, else Node. */
function areaOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / builtins)';
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1).replace(/^file:\/\//, '');
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + 14).split('/');
    return `node_modules/${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url) {
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return url.slice(modules + 1);
  return url;
}

/** Now on the clock V8 stamps profiles with (CLOCK_MONOTONIC, as process.hrtime), in µs. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self and inclusive milliseconds per function and self milliseconds per area. The profile's
 * `(idle)` time is reported separately and left out of the shares (busy time only). With
 * `window` ({ fromUs, toUs } from monotonicUs()), only samples taken inside it count, so start-up
 * and shutdown stay out; when the window misses the profile entirely, every sample counts and
 * `windowed` is false.
 */
export async function summarizeProfile(path, { top = 15, window } = {}) {
  const profile = JSON.parse(await readFile(path, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = new Map();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    keyOf.set(node.id, url ? `${name} ${shortUrl(url)}:${lineNumber + 1}` : name);
  }
  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let busyUs = 0;
  let idleUs = 0;
  const { samples, timeDeltas } = profile;
  const stamps = new Float64Array(samples.length);
  for (let i = 0, t = profile.startTime; i < samples.length; i++) stamps[i] = t += timeDeltas[i] ?? 0;
  const windowed = window !== undefined && stamps.some((t) => t >= window.fromUs && t <= window.toUs);
  for (let i = 0; i < samples.length; i++) {
    if (windowed && (stamps[i] < window.fromUs || stamps[i] > window.toUs)) continue;
    // timeDeltas[i] is the time from sample i - 1 to sample i; charge it to sample i's stack.
    const us = Math.max(0, timeDeltas[i] ?? 0);
    const id = samples[i];
    const node = nodes.get(id);
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const key = keyOf.get(id);
    self.set(key, (self.get(key) ?? 0) + us);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const onStack = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) onStack.add(keyOf.get(at));
    for (const k of onStack) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
  const ranked = (map, filter = () => true) =>
    [...map.entries()]
      .filter(([key]) => filter(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => ({ name: key, ms: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return {
    path,
    windowed,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    self: ranked(self),
    // Turnpike's own functions by time including what they call.
    inclusive: ranked(inclusive, (key) => key.includes(' dist/')),
    areas: ranked(areas),
  };
}

/** Copies every profile of `dir` into benchmarks/results/ (git-ignored), so they outlive the run's temp dir. */
export async function keepProfiles(dir, label) {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const kept = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.cpuprofile')) continue;
    const path = join(RESULTS_DIR, `profile-${label}-${stamp}-${name}`);
    await copyFile(join(dir, name), path);
    kept.push(path);
  }
  return kept;
}
