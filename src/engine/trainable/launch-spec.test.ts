import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { assertExecutable, launchSpec, PYTHON_HELPER_DIR, trainableName } from './launch-spec.js';

const config = (command: string, extra: Record<string, unknown> = {}) => ({
  command,
  args: [],
  env: {},
  timeoutSeconds: 60,
  ...extra,
});

describe('launching a trainable', () => {
  it('splits the command into words like a shell, appends args, and names the task after the script', () => {
    const spec = launchSpec(
      config(`python3 "my train.py" --data '/d d'`, { args: ['-v'] }),
      {},
      '/w',
    );
    expect(spec.argv).toEqual(['python3', 'my train.py', '--data', '/d d', '-v']);
    expect(spec.cwd).toBe('/w');
    expect(trainableName(launchSpec(config('python3 train.py --fast'), {}))).toBe('train.py');
    expect(trainableName(launchSpec(config('python3 -u train.py --model cnn'), {}))).toBe(
      'train.py',
    );
    expect(trainableName(launchSpec(config('./trainer --width 64'), {}))).toBe('trainer');
  });

  it('puts the Python helper first on PYTHONPATH, keeps the user’s, and adds the config env', () => {
    const spec = launchSpec(config('python3 t.py', { env: { PYTHONPATH: '/mine', A: '1' } }), {
      PATH: '/bin',
    });
    expect(spec.env.PYTHONPATH).toBe(`${PYTHON_HELPER_DIR}${path.delimiter}/mine`);
    expect(spec.env).toMatchObject({ A: '1', PATH: '/bin', PBT_PROTOCOL: '1' });
    expect(path.basename(PYTHON_HELPER_DIR)).toBe('python');
  });

  it('refuses shell syntax, a missing program and a missing folder with what to do', () => {
    expect(() => launchSpec(config('python3 t.py > log'))).toThrow(/uses shell syntax/);
    expect(() =>
      assertExecutable(launchSpec(config('no-such-program-xyz'), { PATH: '/usr/bin' })),
    ).toThrow(ConfigError);
    expect(() =>
      assertExecutable(launchSpec(config('node t.js', { cwd: '/no/such/folder' }))),
    ).toThrow(/trainable\.cwd: the folder \/no\/such\/folder does not exist here/);
    expect(() => assertExecutable(launchSpec(config(`${process.execPath} t.js`)))).not.toThrow();
  });
});
