/** A line chart as an SVG document: no dependency, readable as text, shown by any browser. */
export interface Series {
  name: string;
  color: string;
  /** dashed: a second quantity on the same axes (e.g. diff beside apply) */
  dashed?: boolean;
  points: readonly (readonly [number, number])[];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** a logarithmic y axis: times that span orders of magnitude stay readable */
  logY?: boolean;
  series: readonly Series[];
}

const WIDTH = 720;
const HEIGHT = 420;
const M = { left: 70, right: 190, top: 40, bottom: 50 };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const round = (n: number) => Math.round(n * 10) / 10;

/** Tick values covering [lo, hi]: powers of ten (and 2, 5 between) on a log axis, 1-2-5 steps on a linear one. */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo / 1.0001 && v <= hi * 1.0001) out.push(v);
      }
    }
    return out;
  }
  const raw = (hi - lo) / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1000; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const label = (v: number) => (v >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2))));

export function lineChart(chart: Chart): string {
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = chart.series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => !chart.logY || y > 0);
  if (!xs.length || !ys.length) throw new Error(`chart "${chart.title}": no points`);
  const xLo = 0;
  const xHi = Math.max(...xs);
  const yLo = chart.logY ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 0;
  const yHi = chart.logY ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : Math.max(...ys) * 1.1;
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const x = (v: number) => round(M.left + ((v - xLo) / (xHi - xLo || 1)) * plotW);
  const y = (v: number) => {
    const f = chart.logY ? (Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo)) : (v - yLo) / (yHi - yLo || 1);
    return round(M.top + plotH - f * plotH);
  };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="15">${escape(chart.title)}</text>`,
  ];
  for (const v of ticks(yLo, yHi, chart.logY ?? false)) {
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${label(v)}</text>`);
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${M.top + plotH + 18}" text-anchor="middle">${label(v)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`);
  chart.series.forEach((s, i) => {
    const pts = s.points.filter((p) => !chart.logY || p[1] > 0);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map((p) => `${x(p[0])},${y(p[1])}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p[0])}" cy="${y(p[1])}" r="3.5" fill="${s.color}"><title>${escape(`${s.name}: ${p[1]} at ${p[0]}`)}</title></circle>`);
    const ly = M.top + 10 + i * 20;
    out.push(`<line x1="${M.left + plotW + 12}" x2="${M.left + plotW + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${M.left + plotW + 42}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
