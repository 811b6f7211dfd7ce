// Small order statistics for latencies within a run and figures across rounds.

/** The q-quantile (0..1) of a sorted array, nearest rank. */
export function quantileSorted(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Median, min and max of the finite numbers in `values`; undefined when there are none. */
export function spread(values) {
  const finite = values.filter((value) => typeof value === 'number' && Number.isFinite(value));
  if (finite.length === 0) return undefined;
  finite.sort((a, b) => a - b);
  const middle = finite.length >> 1;
  const median = finite.length % 2 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
  return { median, min: finite[0], max: finite[finite.length - 1], count: finite.length };
}
