/**
 * Building DOM without HTML strings: every text goes through textContent, so a user's
 * experiment, task or hyperparameter name is shown, never parsed.
 */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | number | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) append(el, c);
  return el;
}

export function s(
  tag: string,
  attrs: Readonly<Record<string, string | number | undefined>> = {},
  ...children: Child[]
): SVGElement {
  // The SVG namespace overload types every tag as an SVGElement.
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag as 'svg');
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) append(el, c);
  return el;
}

function append(el: Element, c: Child): void {
  if (c === null || c === undefined || c === false) return;
  el.append(typeof c === 'number' ? String(c) : c);
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

export function formatNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

export function formatValue(v: string | number | undefined): string {
  return typeof v === 'number' ? formatNum(v) : (v ?? '—');
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** Okabe & Ito first, then golden-angle hues: distinct for a handful, varied for hundreds. */
const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#7a5195',
  '#4d4d4d',
];

export function memberColor(id: number): string {
  return PALETTE[id] ?? `hsl(${Math.round((id * 137.508) % 360)}, 55%, 45%)`;
}
