import { DEFAULT_STORE } from '../context.js';

/** Where a read-only command writes its answer (stdout). */
export type Out = (text: string) => void;

/** The `--store` option every read-only command takes. */
export const storeOption = ['--store <url>', 'population store URL', DEFAULT_STORE] as const;
