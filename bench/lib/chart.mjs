// A grouped bar chart of median ops/s per workload and client, as a standalone SVG built by hand.
// The y axis is logarithmic so that equal ratios look equal from (a) (~10k ops/s) to (c) (~500k):
// the chart is for comparing clients within a workload. Whiskers are min–max across rounds; the
// dashed line is the redis-benchmark run redmoon's ratio is computed against (comparisons.mjs),
// with the ratio under the workload's name; the dotted line is the Node floor, where it ran.
import { compare, OURS } from './comparisons.mjs';
import { formatRate, formatRatio } from './format.mjs';
import { cellKey } from './summary.mjs';

const COLORS = {
  redmoon: '#c0392b',
  ioredis: '#2c7fb8',
  'node-redis': '#31a354',
  glide: '#756bb1',
  'ioredis-ap': '#7fcdbb',
};
const FLOOR_COLOR = '#e69f00';
const FALLBACK_COLORS = ['#e6550d', '#636363', '#fdae6b', '#9ecae1'];

const BAR_WIDTH = 14;
const BAR_GAP = 2;
const GROUP_GAP = 24;
/** Room for the title, the legend and the key line, however few workloads ran. */
const MIN_WIDTH = 980;
const PLOT_HEIGHT = 300;
const MARGIN = { left: 64, right: 16, top: 78, bottom: 70 };

function escapeXml(text) {
  return String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function renderChart(data) {
  const { workloads, clients, labels, cells, meta } = data;
  const ours = clients.includes(OURS) ? OURS : clients[0];
  const comparisons = new Map(workloads.map((work) => [work.name, compare(data, work.name, ours)]));
  const values = [];
  for (const work of workloads) {
    for (const client of clients) {
      const rate = cells.get(cellKey(work.name, client))?.opsPerSec;
      if (rate !== undefined) values.push(rate.min, rate.max);
    }
    const { reference, floor } = comparisons.get(work.name);
    if (reference !== undefined) values.push(reference.rate);
    if (floor !== undefined && !work.name.endsWith('-helper')) values.push(floor.rate);
  }
  const low = values.length ? 10 ** Math.floor(Math.log10(Math.min(...values) / 1.5)) : 1e3;
  // Headroom above the tallest whisker for its rotated value label.
  const high = values.length ? Math.max(...values) * 2.5 : 1e6;
  const y = (value) =>
    MARGIN.top +
    PLOT_HEIGHT * (1 - (Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low)));

  const groupWidth = clients.length * (BAR_WIDTH + BAR_GAP) - BAR_GAP;
  const width = Math.max(MIN_WIDTH, MARGIN.left + workloads.length * (groupWidth + GROUP_GAP) + MARGIN.right);
  // Groups spread over the plot's width: wider gaps when few workloads ran.
  const groupStep = (width - MARGIN.left - MARGIN.right) / Math.max(1, workloads.length);
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom;
  const parts = [];
  const add = (text) => parts.push(text);

  add(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
  );
  add(`<title>redmoon and its peers: median ops/s per workload</title>`);
  add(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  add(
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">Median ops/s per workload (log scale; whiskers: min–max over ${meta.rounds} round${meta.rounds === 1 ? '' : 's'})</text>`,
  );
  add(
    `<text x="${MARGIN.left}" y="37" font-size="10" fill="#555">${escapeXml(`${meta.cpuModel}, ${meta.cores} cores · Node ${meta.node} · Redis ${meta.redis} · ${meta.date}`)}</text>`,
  );

  // Legend.
  let legendX = MARGIN.left;
  clients.forEach((client, index) => {
    const color = COLORS[client] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length];
    add(`<rect x="${legendX}" y="48" width="10" height="10" fill="${color}"/>`);
    add(`<text x="${legendX + 14}" y="57" font-size="11">${escapeXml(labels[client])}</text>`);
    legendX += 24 + labels[client].length * 6.5;
  });
  add(`<line x1="${legendX}" y1="53" x2="${legendX + 18}" y2="53" stroke="#333" stroke-dasharray="4 2"/>`);
  const referenceText = `redis-benchmark reference (ratio: ${labels[ours]} / reference)`;
  add(`<text x="${legendX + 22}" y="57" font-size="11">${escapeXml(referenceText)}</text>`);
  legendX += 34 + referenceText.length * 5.6;
  if (workloads.some((work) => comparisons.get(work.name).floor !== undefined)) {
    add(
      `<line x1="${legendX}" y1="53" x2="${legendX + 18}" y2="53" stroke="${FLOOR_COLOR}" stroke-width="2" stroke-dasharray="2 2"/>`,
    );
    add(`<text x="${legendX + 22}" y="57" font-size="11">Node floor (raw socket)</text>`);
  }

  // Grid lines at 1, 2, 5 × 10^k.
  for (let decade = low; decade < high * 1.01; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = decade * step;
      if (value > high * 1.01) break;
      const lineY = y(value).toFixed(1);
      const major = step === 1;
      add(
        `<line x1="${MARGIN.left}" y1="${lineY}" x2="${width - MARGIN.right}" y2="${lineY}" stroke="${major ? '#bbb' : '#e5e5e5'}" stroke-width="1"/>`,
      );
      add(
        `<text x="${MARGIN.left - 6}" y="${lineY}" font-size="10" text-anchor="end" dominant-baseline="middle" fill="#444">${formatRate(value)}</text>`,
      );
    }
  }
  const baseY = MARGIN.top + PLOT_HEIGHT;
  add(`<line x1="${MARGIN.left}" y1="${baseY}" x2="${width - MARGIN.right}" y2="${baseY}" stroke="#333"/>`);

  workloads.forEach((work, groupIndex) => {
    const groupX = MARGIN.left + (groupStep - groupWidth) / 2 + groupIndex * groupStep;
    clients.forEach((client, index) => {
      const color = COLORS[client] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length];
      const x = groupX + index * (BAR_WIDTH + BAR_GAP);
      const center = x + BAR_WIDTH / 2;
      const cell = cells.get(cellKey(work.name, client));
      if (cell?.opsPerSec === undefined) {
        const mark = cell?.na !== undefined ? 'n/a' : cell === undefined ? '' : 'error';
        add(
          `<text x="${center}" y="${baseY - 4}" font-size="9" fill="#888" transform="rotate(-90 ${center} ${baseY - 4})">${mark}</text>`,
        );
        return;
      }
      const { median, min, max } = cell.opsPerSec;
      const top = y(median);
      add(
        `<rect x="${x}" y="${top.toFixed(1)}" width="${BAR_WIDTH}" height="${(baseY - top).toFixed(1)}" fill="${color}"><title>${escapeXml(`${work.name} · ${labels[client]}: ${formatRate(median)} ops/s`)}</title></rect>`,
      );
      if (max > min) {
        add(
          `<line x1="${center}" y1="${y(max).toFixed(1)}" x2="${center}" y2="${y(min).toFixed(1)}" stroke="#222" stroke-width="1"/>`,
        );
      }
      const labelY = Math.min(top, y(max)) - 3;
      add(
        `<text x="${center + 3}" y="${labelY.toFixed(1)}" font-size="9" fill="#222" transform="rotate(-90 ${center + 3} ${labelY.toFixed(1)})">${formatRate(median)}</text>`,
      );
    });
    const { reference, floor } = comparisons.get(work.name);
    if (reference !== undefined) {
      const refY = y(reference.rate).toFixed(1);
      const tip = `${work.name} reference: redis-benchmark ${reference.label}, ${formatRate(reference.rate)} req/s`;
      add(
        `<line x1="${groupX - 4}" y1="${refY}" x2="${groupX + groupWidth + 4}" y2="${refY}" stroke="#333" stroke-width="1.5" stroke-dasharray="4 2"><title>${escapeXml(tip)}</title></line>`,
      );
    }
    if (floor !== undefined && !work.name.endsWith('-helper')) {
      const floorY = y(floor.rate).toFixed(1);
      const tip = `${work.name} Node floor: ${formatRate(floor.rate)} ops/s`;
      add(
        `<line x1="${groupX - 4}" y1="${floorY}" x2="${groupX + groupWidth + 4}" y2="${floorY}" stroke="${FLOOR_COLOR}" stroke-width="2" stroke-dasharray="2 2"><title>${escapeXml(tip)}</title></line>`,
      );
    }
    const labelX = groupX + groupWidth / 2;
    add(
      `<text x="${labelX}" y="${baseY + 16}" font-size="11" text-anchor="middle">${escapeXml(work.name)}</text>`,
    );
    if (reference?.ratio !== undefined) {
      add(
        `<text x="${labelX}" y="${baseY + 29}" font-size="10" text-anchor="middle" fill="${COLORS[ours] ?? '#222'}">${formatRatio(reference.ratio)}</text>`,
      );
    }
  });
  add(
    `<text x="${MARGIN.left}" y="${height - 22}" font-size="10" fill="#555">a: EVALSHA sequential · b: 100 concurrent · c: pipelines of 100 · d: GET/SET 64 B · e: 16 KiB · f: b on a 3-primary cluster · g: pub/sub · -helper: via each client's script helper</text>`,
  );
  add(
    `<text x="${MARGIN.left}" y="${height - 8}" font-size="10" fill="#555">${escapeXml(`Under each name: ${labels[ours]}'s ops/s over its redis-benchmark reference (the dashed line), both from this run.`)}</text>`,
  );
  add('</svg>');
  return `${parts.join('\n')}\n`;
}
