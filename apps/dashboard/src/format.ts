/** A price with the precision it needs (2 to 4 decimals), or a dash for none. */
export function price(value: number | null): string {
  if (value === null) return '–';
  const rounded2 = Math.round(value * 100) / 100;
  return Math.abs(rounded2 - value) < 1e-9 ? value.toFixed(2) : value.toFixed(4);
}

/** An integer with thousands separators, or a dash. */
export function integer(value: number | null): string {
  return value === null ? '–' : Math.round(value).toLocaleString('en-US');
}

/** A percentage with one decimal, or a dash. */
export function percent(value: number | null): string {
  return value === null ? '–' : `${Number.isInteger(value) ? value : value.toFixed(1)} %`;
}

/** A duration in ms for the session bar: `0.4 s`, `120 ms`. */
export function durationMs(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
