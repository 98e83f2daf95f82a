/** Small helpers shared by the SVG charts. */

/** Escape text for XML/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Coordinates with at most 2 decimals keep the SVG small and never print NaN. */
export function coord(v: number): string {
  if (!Number.isFinite(v)) return '0';
  return String(Math.round(v * 100) / 100);
}

/** Rough width of a label in px at a font size (average glyph ≈ 0.58 em in sans-serif). */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.58;
}

export const FONT_FAMILY =
  "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/** A readable, colour-blind-friendly palette (first 8 after Okabe & Ito), then golden-angle hues. */
const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#7a5195',
  '#4d4d4d',
  '#b8860b',
  '#2f9e9e',
];

export function paletteColor(index: number): string {
  if (index >= 0 && index < PALETTE.length) return PALETTE[index] ?? '#4d4d4d';
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue}, 55%, 42%)`;
}

/** Deterministic id suffix from content, so several charts in one page never share ids. */
export function contentId(prefix: string, ...parts: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      h ^= part.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return `${prefix}-${(h >>> 0).toString(36)}`;
}
