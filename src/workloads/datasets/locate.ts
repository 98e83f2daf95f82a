import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  CIFAR10_ARCHIVE,
  CIFAR10_FOLDER,
  CIFAR10_TEST_BATCH,
  CIFAR10_TRAIN_BATCHES,
  DATASETS,
  FASHION_MNIST_FILES,
  type DatasetName,
} from './catalog.js';
import { downloadDataset, type FetchLike } from './download.js';
import { DatasetNotFoundError } from './errors.js';

/** Environment variable naming a data directory (`<dir>/fashion-mnist/`, `<dir>/cifar-10-binary.tar.gz` ...). */
export const DATA_DIR_ENV = 'PBT_DATA_DIR';

export interface LocateOptions {
  /** Explicit file or folder from the user. When given, only this place is searched. */
  readonly path?: string | undefined;
  /** Fetch the official files (SHA-256 checked) when the data set is not found anywhere. */
  readonly download?: boolean | undefined;
  /** Where `download` puts the files; default `$PBT_DATA_DIR`, else the user cache folder. */
  readonly downloadDir?: string | undefined;
  /** The rest exist for tests and embedding; they default to the real process values. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly packageRoot?: string;
  /** Replaces the data set's system folders (e.g. /usr/share/datasets/fashion-mnist). */
  readonly systemDirs?: readonly string[];
  /** Replaces the user cache folder (`$XDG_CACHE_HOME/pbt/datasets`). */
  readonly cacheDir?: string;
  readonly fetch?: FetchLike;
  readonly log?: (message: string) => void;
}

export type LocatedKind = 'directory' | 'archive';
export type PlaceSource = 'explicit' | 'env' | 'system' | 'cwd' | 'package' | 'cache' | 'download';

export interface LocatedDataset {
  readonly name: DatasetName;
  /** A folder holding the files, or (CIFAR-10) the .tar.gz archive. */
  readonly path: string;
  readonly kind: LocatedKind;
  /** Which rule found it. */
  readonly source: PlaceSource;
}

export interface SearchPlace {
  readonly source: PlaceSource;
  readonly path: string;
  readonly label: string;
}

interface ProbeResult {
  readonly found?: { path: string; kind: LocatedKind };
  /** Why a place that exists does not count, shown in the not-found message. */
  readonly note: string;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `name.gz`, `name`, or the dotted variant some mirrors use (`train-images.idx3-ubyte`). */
export function idxFileCandidates(dir: string, base: string): string[] {
  const dotted = base.replace(/-(idx\d)/, '.$1');
  return [`${base}.gz`, base, `${dotted}.gz`, dotted].map((f) => join(dir, f));
}

function probeFashion(dir: string): ProbeResult {
  const missing = Object.values(FASHION_MNIST_FILES).filter(
    (base) => !idxFileCandidates(dir, base).some(isFile),
  );
  if (missing.length === 0) return { found: { path: dir, kind: 'directory' }, note: '' };
  return { note: `lacks ${missing.map((m) => `${m}[.gz]`).join(', ')}` };
}

function probeCifar(place: string): ProbeResult {
  if (isFile(place)) {
    return place.endsWith('.tar.gz') || place.endsWith('.tgz')
      ? { found: { path: place, kind: 'archive' }, note: '' }
      : { note: 'is a file but not a .tar.gz archive' };
  }
  const required = [...CIFAR10_TRAIN_BATCHES, CIFAR10_TEST_BATCH];
  const notes: string[] = [];
  // An unpacked folder loads faster than the archive, so it wins when both exist.
  for (const dir of [join(place, CIFAR10_FOLDER), place, join(place, 'cifar-10', CIFAR10_FOLDER)]) {
    if (!isDir(dir)) continue;
    const missing = required.filter((f) => !isFile(join(dir, f)));
    if (missing.length === 0) return { found: { path: dir, kind: 'directory' }, note: '' };
    if (missing.length < required.length) notes.push(`${dir} lacks ${missing.join(', ')}`);
  }
  for (const archive of [join(place, CIFAR10_ARCHIVE), join(place, 'cifar-10', CIFAR10_ARCHIVE)]) {
    if (isFile(archive)) return { found: { path: archive, kind: 'archive' }, note: '' };
  }
  return {
    note:
      notes.length > 0 ? notes.join('; ') : `has neither ${CIFAR10_ARCHIVE} nor ${CIFAR10_FOLDER}/`,
  };
}

function probeText(dir: string, required: readonly string[]): ProbeResult {
  const missing = required.filter((f) => !isFile(join(dir, f)));
  if (missing.length === 0) return { found: { path: dir, kind: 'directory' }, note: '' };
  return { note: `lacks ${missing.join(', ')}` };
}

function probeDir(name: DatasetName, dir: string): ProbeResult {
  switch (name) {
    case 'fashion-mnist':
      return probeFashion(dir);
    case 'cifar-10':
      return probeCifar(dir);
    case 'europarl-de-en':
      return probeText(dir, ['train.en', 'train.de', 'valid.en', 'valid.de']);
    case 'multi30k':
      return probeText(dir, ['train.en', 'train.de', 'val.en', 'val.de']);
  }
}

/** Probe `place` itself and `place/<folder>` (a data directory holding several data sets). */
function probe(name: DatasetName, place: string): ProbeResult {
  if (!existsSync(place)) return { note: 'does not exist' };
  if (name === 'cifar-10') return probeCifar(place);
  const sub = join(place, DATASETS[name].folder);
  if (isDir(sub)) {
    const inSub = probeDir(name, sub);
    if (inSub.found) return inSub;
    const direct = probeDir(name, place);
    return direct.found ? direct : { note: `${sub} ${inSub.note}` };
  }
  if (!isDir(place)) return { note: 'is not a folder' };
  const direct = probeDir(name, place);
  return direct.found
    ? direct
    : { note: `has no ${DATASETS[name].folder}/ folder, and itself ${direct.note}` };
}

let cachedPackageRoot: string | undefined;

/** The folder of this package's package.json, found by walking up from this module (src/ or dist/). */
export function packageRoot(): string {
  if (cachedPackageRoot !== undefined) return cachedPackageRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (isFile(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
        if (parsed.name === 'pbt') break;
      } catch {
        // not our package.json; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      // Not inside the package (bundled?): fall back to three levels above src/workloads/datasets.
      dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
      break;
    }
    dir = parent;
  }
  cachedPackageRoot = dir;
  return dir;
}

/** `$XDG_CACHE_HOME/pbt/datasets`, else `~/.cache/pbt/datasets`: where downloads go by default. */
export function defaultCacheDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'pbt', 'datasets');
}

/**
 * The places searched, in order, when no explicit path is given: `$PBT_DATA_DIR`, the data set's
 * system folders, `../shared/datasets` from the working directory and from the package root,
 * and the download cache.
 */
export function standardPlaces(name: DatasetName, options: LocateOptions = {}): SearchPlace[] {
  const env = options.env ?? process.env;
  const places: SearchPlace[] = [];
  const envDir = env[DATA_DIR_ENV];
  if (envDir !== undefined && envDir !== '') {
    places.push({ source: 'env', path: resolve(envDir), label: `$${DATA_DIR_ENV}` });
  }
  for (const dir of options.systemDirs ?? DATASETS[name].systemDirs) {
    places.push({ source: 'system', path: dir, label: 'system package folder' });
  }
  const cwd = options.cwd ?? process.cwd();
  places.push({
    source: 'cwd',
    path: resolve(cwd, '..', 'shared', 'datasets'),
    label: '../shared/datasets from the working directory',
  });
  places.push({
    source: 'package',
    path: resolve(options.packageRoot ?? packageRoot(), '..', 'shared', 'datasets'),
    label: '../shared/datasets from the package root',
  });
  places.push({
    source: 'cache',
    path: options.cacheDir ?? defaultCacheDir(env),
    label: 'download cache',
  });
  const seen = new Set<string>();
  return places.filter((p) => (seen.has(p.path) ? false : (seen.add(p.path), true)));
}

function notFoundMessage(
  name: DatasetName,
  tried: readonly { place: SearchPlace; note: string }[],
  env: Readonly<Record<string, string | undefined>>,
  explicit: boolean,
): string {
  const info = DATASETS[name];
  const lines = [`${info.title} was not found. Searched, in this order:`];
  for (const t of tried) lines.push(`  - ${t.place.path} (${t.place.label}): ${t.note}`);
  if (!explicit && (env[DATA_DIR_ENV] ?? '') === '') lines.push(`  ($${DATA_DIR_ENV} is not set)`);
  lines.push('How to get it:');
  for (const h of info.howToGet) lines.push(`  - ${h}`);
  lines.push(
    `Then point the loader at it with an explicit path, or set $${DATA_DIR_ENV} to the folder that ` +
      `contains ${name === 'cifar-10' ? `${CIFAR10_ARCHIVE} or ${CIFAR10_FOLDER}/` : `${info.folder}/`}.`,
  );
  return lines.join('\n');
}

/**
 * Find a data set. Order: the explicit `path` (searched alone: a wrong explicit path is an
 * error, not a reason to pick up some other copy); `$PBT_DATA_DIR`; the standard places
 * (see `standardPlaces`); then, only with `download: true`, the official download.
 * Throws DatasetNotFoundError naming every place searched and how to get the data.
 */
export async function locateDataset(
  name: DatasetName,
  options: LocateOptions = {},
): Promise<LocatedDataset> {
  const env = options.env ?? process.env;
  const explicit = options.path !== undefined && options.path !== '';
  const places: SearchPlace[] = explicit
    ? [
        {
          source: 'explicit',
          path: resolve(options.cwd ?? process.cwd(), options.path ?? ''),
          label: 'explicit path',
        },
      ]
    : standardPlaces(name, options);
  const tried: { place: SearchPlace; note: string }[] = [];
  for (const place of places) {
    const result = probe(name, place.path);
    if (result.found) return { name, ...result.found, source: place.source };
    tried.push({ place, note: result.note });
  }
  if (options.download === true) {
    const info = DATASETS[name];
    if (info.officialFiles.length === 0) {
      throw new DatasetNotFoundError(
        name,
        tried.map((t) => t.place.path),
        `${notFoundMessage(name, tried, env, explicit)}\n(${info.title} has no official download the loader can fetch.)`,
      );
    }
    const envDir = env[DATA_DIR_ENV];
    const destDir =
      options.downloadDir ??
      (explicit
        ? (places[0]?.path ?? '.')
        : envDir !== undefined && envDir !== ''
          ? envDir
          : (options.cacheDir ?? defaultCacheDir(env)));
    await downloadDataset(name, destDir, {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    const result = probe(name, resolve(destDir));
    if (result.found) return { name, ...result.found, source: 'download' };
    tried.push({
      place: { source: 'download', path: resolve(destDir), label: 'download folder' },
      note: result.note,
    });
  }
  throw new DatasetNotFoundError(
    name,
    tried.map((t) => t.place.path),
    notFoundMessage(name, tried, env, explicit),
  );
}
