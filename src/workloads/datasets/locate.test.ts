import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { DatasetNotFoundError } from './errors.js';
import { DATA_DIR_ENV, locateDataset, standardPlaces, type LocateOptions } from './locate.js';
import { tempDir, rejectionOf, removeTempDirs } from './test-fixtures.js';

afterAll(removeTempDirs);

const FASHION = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
];

/** A root with <root>/fashion-mnist/ holding the four (dummy) files. */
function fashionRoot(): string {
  const root = tempDir('pbt-locate-');
  mkdirSync(join(root, 'fashion-mnist'));
  for (const f of FASHION) writeFileSync(join(root, 'fashion-mnist', f), 'x');
  return root;
}

/**
 * A sandbox where every standard place is a fresh temp folder: `work/main` is the working
 * directory and package root, so `../shared/datasets` is `work/shared/datasets`.
 */
function sandbox(): { base: string; options: LocateOptions; shared: string } {
  const base = tempDir('pbt-sandbox-');
  const cwd = join(base, 'work', 'main');
  const shared = join(base, 'work', 'shared', 'datasets');
  mkdirSync(cwd, { recursive: true });
  return {
    base,
    shared,
    options: {
      env: {},
      cwd,
      packageRoot: cwd,
      systemDirs: [join(base, 'usr-share-fashion')],
      cacheDir: join(base, 'cache'),
    },
  };
}

describe('locateDataset', () => {
  it('searches $PBT_DATA_DIR, system folder, ../shared/datasets (cwd, package), cache in order', () => {
    const { base, options } = sandbox();
    const places = standardPlaces('fashion-mnist', {
      ...options,
      env: { [DATA_DIR_ENV]: join(base, 'env') },
      cwd: join(base, 'elsewhere', 'cwd'),
    });
    expect(places.map((p) => [p.source, p.path])).toEqual([
      ['env', join(base, 'env')],
      ['system', join(base, 'usr-share-fashion')],
      ['cwd', join(base, 'elsewhere', 'shared', 'datasets')],
      ['package', join(base, 'work', 'shared', 'datasets')],
      ['cache', join(base, 'cache')],
    ]);
  });

  it('prefers an explicit path over everything and never falls back from a wrong one', async () => {
    const { options } = sandbox();
    const explicit = fashionRoot();
    const env = fashionRoot();
    const found = await locateDataset('fashion-mnist', {
      ...options,
      path: explicit,
      env: { [DATA_DIR_ENV]: env },
    });
    expect(found).toMatchObject({ source: 'explicit', path: join(explicit, 'fashion-mnist') });

    const wrong = tempDir('pbt-empty-');
    const error = await rejectionOf<DatasetNotFoundError>(
      locateDataset('fashion-mnist', {
        ...options,
        path: wrong,
        env: { [DATA_DIR_ENV]: env },
      }),
    );
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect(error.searched).toEqual([wrong]);
  });

  it('uses $PBT_DATA_DIR before the system folder, and the system folder before ../shared', async () => {
    const { options, base, shared } = sandbox();
    // Everything present: the env dir wins.
    const env = fashionRoot();
    const system = join(base, 'usr-share-fashion');
    mkdirSync(system);
    for (const f of FASHION) writeFileSync(join(system, f), 'x');
    mkdirSync(join(shared, 'fashion-mnist'), { recursive: true });
    for (const f of FASHION) writeFileSync(join(shared, 'fashion-mnist', f), 'x');

    const withEnv = await locateDataset('fashion-mnist', {
      ...options,
      env: { [DATA_DIR_ENV]: env },
    });
    expect(withEnv).toMatchObject({ source: 'env', path: join(env, 'fashion-mnist') });
    const noEnv = await locateDataset('fashion-mnist', options);
    expect(noEnv).toMatchObject({ source: 'system', path: system });
    const noSystem = await locateDataset('fashion-mnist', { ...options, systemDirs: [] });
    expect(noSystem).toMatchObject({ source: 'cwd', path: join(shared, 'fashion-mnist') });
  });

  it('finds ../shared/datasets relative to the package root when the working directory is elsewhere', async () => {
    const { options, shared, base } = sandbox();
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, 'cifar-10-binary.tar.gz'), 'x');
    const found = await locateDataset('cifar-10', { ...options, cwd: join(base, 'a', 'b') });
    expect(found).toMatchObject({
      source: 'package',
      kind: 'archive',
      path: join(shared, 'cifar-10-binary.tar.gz'),
    });
  });

  it('prefers an unpacked CIFAR-10 folder over the archive', async () => {
    const root = tempDir('pbt-cifar-');
    writeFileSync(join(root, 'cifar-10-binary.tar.gz'), 'x');
    mkdirSync(join(root, 'cifar-10-batches-bin'));
    for (const f of [
      'data_batch_1',
      'data_batch_2',
      'data_batch_3',
      'data_batch_4',
      'data_batch_5',
      'test_batch',
    ]) {
      writeFileSync(join(root, 'cifar-10-batches-bin', `${f}.bin`), 'x');
    }
    const found = await locateDataset('cifar-10', { path: root });
    expect(found).toMatchObject({ kind: 'directory', path: join(root, 'cifar-10-batches-bin') });
  });

  it('fails with a message naming every place searched, how to install, and the env var', async () => {
    const { options, base } = sandbox();
    // A half-installed folder gets a note saying what is missing.
    const system = join(base, 'usr-share-fashion');
    mkdirSync(system);
    writeFileSync(join(system, FASHION[0] as string), 'x');
    const error = await rejectionOf<DatasetNotFoundError>(locateDataset('fashion-mnist', options));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect(error.code).toBe('DATASET_NOT_FOUND');
    const places = standardPlaces('fashion-mnist', options).map((p) => p.path);
    expect(error.searched).toEqual(places);
    for (const p of places) expect(error.message).toContain(p);
    expect(error.message).toContain('lacks train-labels-idx1-ubyte[.gz]');
    expect(error.message).toContain('apt-get install dataset-fashion-mnist');
    expect(error.message).toContain(
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist',
    );
    expect(error.message).toContain('$PBT_DATA_DIR is not set');
    expect(error.message).toContain('--download');
  });

  it('finds text corpora in <dir>/<name>/ and tells them apart', async () => {
    const root = tempDir('pbt-text-');
    mkdirSync(join(root, 'multi30k'));
    for (const f of ['train.en', 'train.de', 'val.en', 'val.de'])
      writeFileSync(join(root, 'multi30k', f), 'x\n');
    const found = await locateDataset('multi30k', { path: root });
    expect(found.path).toBe(join(root, 'multi30k'));
    await expect(locateDataset('europarl-de-en', { path: join(root, 'multi30k') })).rejects.toThrow(
      /lacks valid\.en, valid\.de/,
    );
  });

  it('with download: true and no network, fails with the download error and manual instructions', async () => {
    const { options, base } = sandbox();
    const offline = (url: string): Promise<never> =>
      Promise.reject(
        new TypeError(`fetch failed (${url})`, { cause: new Error('getaddrinfo ENOTFOUND') }),
      );
    const error = await rejectionOf<Error & { code: string }>(
      locateDataset('cifar-10', {
        ...options,
        download: true,
        downloadDir: join(base, 'dl'),
        fetch: offline,
      }),
    );
    expect(error.code).toBe('DATASET_DOWNLOAD');
    expect(error.message).toContain('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
    expect(error.message).toContain('ENOTFOUND');
    expect(error.message).toContain(join(base, 'dl', 'cifar-10-binary.tar.gz'));
  });

  it('refuses download: true for data sets without an official download', async () => {
    const { options } = sandbox();
    await expect(locateDataset('europarl-de-en', { ...options, download: true })).rejects.toThrow(
      /no official download/,
    );
  });
});
