import { initBackend, type BackendPreference } from './backend.js';

const started = new Map<string, Promise<string>>();

/**
 * Initialise the TensorFlow.js backend once per process (and per forced choice) and log which
 * one runs. A worker process creates and loads many members; each asks, only the first waits.
 * A failed start is forgotten so a later call can retry.
 */
export function ensureBackend(
  preferred: BackendPreference | undefined,
  logger: { log(message: string): void },
): Promise<string> {
  const key = preferred ?? 'auto';
  let entry = started.get(key);
  if (entry === undefined) {
    entry = initBackend(preferred).then((info) => {
      logger.log(`TensorFlow.js backend: ${info.name}`);
      return info.name;
    });
    started.set(key, entry);
    entry.catch(() => started.delete(key));
  }
  return entry;
}
