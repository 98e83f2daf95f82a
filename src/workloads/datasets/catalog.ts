/**
 * What the loaders know about each data set: the folder name it lives under in a data
 * directory, the files that prove a folder holds it, where the official copies come from and
 * how to install it. Checksums and sizes are those of the official files (for Fashion-MNIST
 * as listed with the published MD5s; for CIFAR-10 the archive linked from the CIFAR page).
 */
export type DatasetName = 'fashion-mnist' | 'cifar-10' | 'europarl-de-en' | 'multi30k';

/** One official file: where to fetch it and what it must hash to. */
export interface OfficialFile {
  readonly fileName: string;
  /** Tried in order; the first that yields bytes with the right SHA-256 wins. */
  readonly urls: readonly string[];
  readonly sha256: string;
  readonly size: number;
}

export interface DatasetInfo {
  readonly name: DatasetName;
  readonly title: string;
  /** Sub-folder of a data directory that holds it (`<PBT_DATA_DIR>/<folder>`). */
  readonly folder: string;
  /** Places a system package installs it into (searched after PBT_DATA_DIR). */
  readonly systemDirs: readonly string[];
  /** Official files `downloadDataset` fetches into `<dest>/<downloadSubdir>`; empty when not downloadable. */
  readonly officialFiles: readonly OfficialFile[];
  readonly downloadSubdir: string;
  /** Lines of advice shown when the data set is missing. */
  readonly howToGet: readonly string[];
}

const FASHION_GITHUB =
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/';
const FASHION_S3 = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

function fashionFile(fileName: string, sha256: string, size: number): OfficialFile {
  return { fileName, urls: [FASHION_GITHUB + fileName, FASHION_S3 + fileName], sha256, size };
}

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
export const CIFAR10_TRAIN_BATCHES: readonly string[] = [1, 2, 3, 4, 5].map(
  (i) => `data_batch_${i}.bin`,
);
export const CIFAR10_TEST_BATCH = 'test_batch.bin';
export const CIFAR10_META = 'batches.meta.txt';

export const DATASETS: Readonly<Record<DatasetName, DatasetInfo>> = {
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST',
    folder: 'fashion-mnist',
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
    downloadSubdir: 'fashion-mnist',
    officialFiles: [
      fashionFile(
        'train-images-idx3-ubyte.gz',
        '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        26421880,
      ),
      fashionFile(
        'train-labels-idx1-ubyte.gz',
        'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        29515,
      ),
      fashionFile(
        't10k-images-idx3-ubyte.gz',
        '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        4422102,
      ),
      fashionFile(
        't10k-labels-idx1-ubyte.gz',
        '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
        5148,
      ),
    ],
    howToGet: [
      'Debian/Ubuntu: `apt-get install dataset-fashion-mnist` (installs /usr/share/datasets/fashion-mnist)',
      `or download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and ` +
        `t10k-labels-idx1-ubyte.gz from ${FASHION_GITHUB} into <dir>/fashion-mnist/ and set PBT_DATA_DIR=<dir>`,
      'or pass `download: true` (CLI: --download) to fetch and SHA-256-check them automatically',
    ],
  },
  'cifar-10': {
    name: 'cifar-10',
    title: 'CIFAR-10 (binary version)',
    folder: 'cifar-10',
    systemDirs: [],
    downloadSubdir: '.',
    officialFiles: [
      {
        fileName: CIFAR10_ARCHIVE,
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
        sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
        size: 170052171,
      },
    ],
    howToGet: [
      'download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (the "CIFAR-10 binary version", 162 MB) ' +
        'into <dir>/ (keep it packed, or unpack it so that <dir>/cifar-10-batches-bin/ exists) and set PBT_DATA_DIR=<dir>',
      'or pass `download: true` (CLI: --download) to fetch and SHA-256-check it automatically',
    ],
  },
  'europarl-de-en': {
    name: 'europarl-de-en',
    title: 'Europarl German-English sample',
    folder: 'europarl-de-en',
    systemDirs: [],
    downloadSubdir: 'europarl-de-en',
    officialFiles: [],
    howToGet: [
      'put aligned, tokenized files train.en/train.de and valid.en/valid.de (one sentence per line) into ' +
        '<dir>/europarl-de-en/ and set PBT_DATA_DIR=<dir>; the sentences come from Europarl v7 ' +
        '(https://www.statmt.org/europarl/), the held-out sets from the WMT 2006-2008 Europarl test sets ' +
        '(https://www.statmt.org/wmt08/) under wmt-europarl-heldout/',
    ],
  },
  multi30k: {
    name: 'multi30k',
    title: 'Multi30k task 1 (English-German)',
    folder: 'multi30k',
    systemDirs: [],
    downloadSubdir: 'multi30k',
    officialFiles: [],
    howToGet: [
      'get train/val/test_2016_flickr .en/.de from https://github.com/multi30k/dataset (data/task1/raw, gunzip them) ' +
        'into <dir>/multi30k/ and set PBT_DATA_DIR=<dir>',
    ],
  },
};
