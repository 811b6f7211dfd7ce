// Number formatting shared by the markdown report and the chart.

/** 196312 → "196k", 12040 → "12.0k", 6712 → "6.71k", 812 → "812". */
export function formatRate(value) {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return value.toPrecision(3);
}

/** Three significant figures, but no exponent: 5.13, 38.7, 105, 1234. */
export function formatFigure(value) {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 100) return String(Math.round(value));
  return value.toPrecision(3);
}

export function formatRatio(value) {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return `${value.toFixed(2)}×`;
}
