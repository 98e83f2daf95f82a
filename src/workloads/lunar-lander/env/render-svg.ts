import { FPS, LANDER_POLY, LEG_H, LEG_W, SCALE, VIEWPORT_H, VIEWPORT_W } from './constants.js';
import type { BodyPose } from './lunar-lander.js';
import type { EpisodeRecording } from './record-episode.js';

export interface RenderSvgOptions {
  /** Draw only this frame, without animation (e.g. for a thumbnail). Default: animate all frames. */
  readonly frame?: number;
  /** Caption drawn in the top-left corner. */
  readonly title?: string;
  /** Playback speed multiplier; 1 = real time (50 frames per second). */
  readonly speed?: number;
}

const SKY = '#000000';
const MOON = '#ffffff';
const HULL_FILL = 'rgb(128,102,230)';
const HULL_STROKE = 'rgb(77,77,128)';
const FLAG = 'rgb(204,204,0)';

const px = (x: number): number => x * SCALE;
// SVG y grows downwards; the world's grows upwards.
const py = (y: number): number => VIEWPORT_H - y * SCALE;
const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();
const deg = (rad: number): number => (-rad * 180) / Math.PI;

/** Polygon points in body-local px, y flipped for SVG. */
function localPoints(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y]) => `${fmt(x)},${fmt(-y)}`).join(' ');
}

const HULL_POINTS = localPoints(LANDER_POLY);
const LEG_POINTS = localPoints([
  [-LEG_W, -LEG_H],
  [LEG_W, -LEG_H],
  [LEG_W, LEG_H],
  [-LEG_W, LEG_H],
]);

function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** A body drawn at a fixed pose. */
function staticBody(points: string, pose: BodyPose): string {
  return (
    `<g transform="translate(${fmt(px(pose.x))},${fmt(py(pose.y))}) rotate(${fmt(deg(pose.angle))})">` +
    `<polygon points="${points}" fill="${HULL_FILL}" stroke="${HULL_STROKE}" stroke-width="1"/></g>`
  );
}

/** A body animated through `poses` with SMIL: an outer translate and an inner rotate. */
function animatedBody(points: string, poses: readonly BodyPose[], dur: string): string {
  const first = poses[0];
  if (first === undefined) return '';
  const translate = poses.map((p) => `${fmt(px(p.x))},${fmt(py(p.y))}`).join(';');
  const rotate = poses.map((p) => fmt(deg(p.angle))).join(';');
  return (
    `<g transform="translate(${fmt(px(first.x))},${fmt(py(first.y))})">` +
    `<animateTransform attributeName="transform" type="translate" values="${translate}" dur="${dur}" repeatCount="indefinite"/>` +
    `<g transform="rotate(${fmt(deg(first.angle))})">` +
    `<animateTransform attributeName="transform" type="rotate" values="${rotate}" dur="${dur}" repeatCount="indefinite"/>` +
    `<polygon points="${points}" fill="${HULL_FILL}" stroke="${HULL_STROKE}" stroke-width="1"/></g></g>`
  );
}

/**
 * Renders a recorded episode as a self-contained SVG (600 x 400, the reference viewport):
 * sky, terrain, helipad flags and the lander. Animated with SMIL unless `frame` is given.
 */
export function renderEpisodeSvg(rec: EpisodeRecording, options: RenderSvgOptions = {}): string {
  const { terrain } = rec;
  const ground = [
    `0,${VIEWPORT_H}`,
    ...terrain.chunkX.map((x, i) => `${fmt(px(x))},${fmt(py(terrain.smoothY[i] ?? 0))}`),
    `${VIEWPORT_W},${VIEWPORT_H}`,
  ].join(' ');
  const flags = [terrain.helipadX1, terrain.helipadX2]
    .map((x) => {
      const y1 = py(terrain.helipadY);
      const y2 = y1 - 50;
      return (
        `<line x1="${fmt(px(x))}" y1="${fmt(y1)}" x2="${fmt(px(x))}" y2="${fmt(y2)}" stroke="${MOON}" stroke-width="1"/>` +
        `<polygon points="${fmt(px(x))},${fmt(y2)} ${fmt(px(x))},${fmt(y2 + 10)} ${fmt(px(x) + 25)},${fmt(y2 + 5)}" fill="${FLAG}"/>`
      );
    })
    .join('');
  let bodies: string;
  if (options.frame !== undefined) {
    const pose =
      rec.frames[Math.max(0, Math.min(rec.frames.length - 1, Math.floor(options.frame)))];
    bodies =
      pose === undefined
        ? ''
        : staticBody(LEG_POINTS, pose.legs[0]) +
          staticBody(LEG_POINTS, pose.legs[1]) +
          staticBody(HULL_POINTS, pose.hull);
  } else {
    const speed = options.speed ?? 1;
    const dur = `${fmt(rec.frames.length / FPS / speed)}s`;
    bodies =
      animatedBody(
        LEG_POINTS,
        rec.frames.map((f) => f.legs[0]),
        dur,
      ) +
      animatedBody(
        LEG_POINTS,
        rec.frames.map((f) => f.legs[1]),
        dur,
      ) +
      animatedBody(
        HULL_POINTS,
        rec.frames.map((f) => f.hull),
        dur,
      );
  }
  const title =
    options.title === undefined
      ? ''
      : `<text x="8" y="${VIEWPORT_H - 10}" fill="${SKY}" font-family="monospace" font-size="13">${escapeXml(options.title)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${VIEWPORT_W}" height="${VIEWPORT_H}" viewBox="0 0 ${VIEWPORT_W} ${VIEWPORT_H}">` +
    `<rect width="${VIEWPORT_W}" height="${VIEWPORT_H}" fill="${SKY}"/>` +
    `<polygon points="${ground}" fill="${MOON}"/>` +
    flags +
    bodies +
    title +
    `</svg>\n`
  );
}
