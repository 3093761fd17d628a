/** A small inline-SVG line chart for the HTML report: no scripts, no fonts to fetch. */

export interface Series {
  name: string;
  color: string;
  /** [x, y]; NaN y values break the line. */
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  yUnit: string;
  series: readonly Series[];
  /** Log-scale y axis (latency). */
  log?: boolean;
  width?: number;
  height?: number;
}

const PAD = { left: 56, right: 12, top: 26, bottom: 34 };
/** Legend rows: height, and a generous width per character of the 11-px label (no font metrics here). */
const LEGEND = { row: 15, swatch: 16, gap: 18, charWidth: 7 };
const esc = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const short = (v: number) =>
  v >= 1e6
    ? `${+(v / 1e6).toPrecision(3)}M`
    : v >= 1e3
      ? `${+(v / 1e3).toPrecision(3)}k`
      : `${+v.toPrecision(3)}`;

/** Legend entries left to right, wrapping to a new row rather than running off the picture. */
function legendLayout(series: readonly Series[], width: number): { x: number; row: number }[] {
  const out: { x: number; row: number }[] = [];
  let x = PAD.left;
  let row = 0;
  for (const s of series) {
    const entry = LEGEND.swatch + s.name.length * LEGEND.charWidth;
    if (x > PAD.left && x + entry > width - PAD.right) {
      x = PAD.left;
      row++;
    }
    out.push({ x, row });
    x += entry + LEGEND.gap;
  }
  return out;
}

export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 760;
  const legend = legendLayout(options.series, width);
  const legendRows = Math.max(1, ...legend.map((l) => l.row + 1));
  const height = (options.height ?? 240) + (legendRows - 1) * LEGEND.row;
  const all = options.series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y)));
  if (all.length === 0) return `<p class="empty">${esc(options.title)}: no data</p>`;
  const xMin = Math.min(...all.map(([x]) => x));
  const xMax = Math.max(...all.map(([x]) => x), xMin + 1);
  const positive = all.map(([, y]) => y).filter((y) => y > 0);
  const log = options.log === true && positive.length > 0;
  let yMin = log ? Math.min(...positive) : 0;
  let yMax = Math.max(...all.map(([, y]) => y), log ? yMin * 10 : 1);
  if (log) {
    yMin = 10 ** Math.floor(Math.log10(yMin));
    yMax = 10 ** Math.ceil(Math.log10(yMax));
  } else yMax *= 1.08;
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom - (legendRows - 1) * LEGEND.row;
  const plotBottom = PAD.top + plotH;
  const sx = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => {
    const ratio = log
      ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
      : y / yMax;
    return plotBottom - ratio * plotH;
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
  );
  out.push(`<text x="${PAD.left}" y="16" class="title">${esc(options.title)}</text>`);
  const ticks = log
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i)
    : [0, 0.25, 0.5, 0.75, 1].map((f) => (yMax / 1.08) * f);
  for (const t of ticks) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${y}" y2="${y}" class="grid"/>`);
    out.push(`<text x="${PAD.left - 4}" y="${y}" class="ytick">${short(t)}</text>`);
  }
  const xStep = Math.max(1, Math.ceil((xMax - xMin) / 10));
  for (let x = Math.ceil(xMin); x <= xMax; x += xStep)
    out.push(`<text x="${sx(x).toFixed(1)}" y="${plotBottom + 14}" class="xtick">${x}s</text>`);
  // Rotated, the glyphs grow towards x = 0 from the baseline: leave room for their height.
  const unitY = PAD.top + plotH / 2;
  out.push(
    `<text x="14" y="${unitY}" class="unit" text-anchor="middle" transform="rotate(-90 14 ${unitY})">${esc(options.yUnit)}</text>`,
  );
  options.series.forEach((s, i) => {
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      pen = true;
    }
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    const { x: lx, row } = legend[i]!;
    const ly = plotBottom + 26 + row * LEGEND.row;
    // The swatch is drawn like its line, so a dashed series can be told from a solid one.
    out.push(
      `<line x1="${lx}" x2="${lx + 13}" y1="${ly - 3.5}" y2="${ly - 3.5}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="4 2"' : ''}/>`,
    );
    out.push(`<text x="${lx + LEGEND.swatch}" y="${ly}" class="legend">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
