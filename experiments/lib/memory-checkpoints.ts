import { createHash } from 'node:crypto';
import type {
  CheckpointInfo,
  CheckpointStore,
  GcReport,
} from '../../src/engine/checkpoints/checkpoint-store.js';

/**
 * Content-addressed checkpoints in a Map, for in-process studies of thousands of tiny runs where
 * the filesystem store's durable writes would dominate the wall time. Not for real runs: nothing
 * survives the process.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly blobs = new Map<string, Uint8Array>();

  put(bytes: Uint8Array): Promise<string> {
    const key = createHash('sha256').update(bytes).digest('hex');
    this.blobs.set(key, bytes.slice());
    return Promise.resolve(key);
  }

  get(key: string): Promise<Uint8Array> {
    const bytes = this.blobs.get(key);
    return bytes === undefined
      ? Promise.reject(new Error(`no checkpoint ${key}`))
      : Promise.resolve(bytes.slice());
  }

  has(key: string): Promise<boolean> {
    return Promise.resolve(this.blobs.has(key));
  }

  delete(key: string): Promise<void> {
    this.blobs.delete(key);
    return Promise.resolve();
  }

  list(): Promise<CheckpointInfo[]> {
    return Promise.resolve(
      [...this.blobs].map(([key, b]) => ({ key, bytes: b.byteLength, mtime: 0 })),
    );
  }

  gc(referenced: ReadonlySet<string>): Promise<GcReport> {
    let deleted = 0;
    let freedBytes = 0;
    for (const [key, b] of this.blobs) {
      if (referenced.has(key)) continue;
      this.blobs.delete(key);
      deleted += 1;
      freedBytes += b.byteLength;
    }
    return Promise.resolve({ deleted, freedBytes, kept: this.blobs.size });
  }
}
