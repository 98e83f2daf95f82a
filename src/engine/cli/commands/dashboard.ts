import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { startDashboard } from '../../dashboard/server.js';
import { redactPassword } from '../../store/postgres/connection.js';
import { openStore } from '../../store/open-store.js';
import { DEFAULT_STORE } from '../context.js';
import { resolveStoreUrl } from '../../store/store-url.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** `pbt dashboard`: a live, read-only web view of the store's experiments. */
export function registerDashboard(program: Command, log: (line: string) => void): void {
  program
    .command('dashboard')
    .description('live web view of the experiments in a store (read-only)')
    .option('--store <url>', 'population store URL', DEFAULT_STORE)
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option(
      '--host <address>',
      'address to listen on; anything but loopback is reachable by others',
      '127.0.0.1',
    )
    .action(async (flags: { store: string; port: string; host: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new ConfigError(
          `--port ${flags.port} is not a port: give a whole number 0–65535 (0: any free port)`,
        );
      }
      if (!LOOPBACK.has(flags.host)) {
        log(
          `pbt dashboard: warning: listening on ${flags.host}, not 127.0.0.1: anyone who can reach this address sees your experiments (read-only, no authentication)`,
        );
      }
      const store = await openStore(resolveStoreUrl(flags.store), {
        readOnly: true,
        log: (line) => log(line),
      });
      let dashboard;
      try {
        dashboard = await startDashboard({ store, host: flags.host, port });
      } catch (err) {
        await store.close();
        if ((err as { code?: string }).code === 'EADDRINUSE') {
          throw new ConfigError(
            `port ${port} on ${flags.host} is taken: pick another with --port (or --port 0)`,
          );
        }
        throw err;
      }
      log(
        `pbt dashboard: ${dashboard.url} (store ${redactPassword(flags.store)}, read-only; Ctrl-C stops)`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await dashboard.close();
      await store.close();
    });
}
