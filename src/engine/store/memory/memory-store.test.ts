import { describeStoreConformance } from '../../testing/store-conformance.js';
import { MemoryStore } from './memory-store.js';

let store = new MemoryStore();

describeStoreConformance('MemoryStore', {
  // Every "connection" of a test is the same instance; each test gets a fresh one.
  open: () => Promise.resolve(store),
  cleanup: () => {
    store = new MemoryStore();
    return Promise.resolve();
  },
});
