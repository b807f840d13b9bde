import { PostgresStore } from '@reel/sdk';
import { storeConformance } from '@reel/testing/conformance';
import { useTestDatabase } from '@reel/testing/vitest';
import { MemoryStore } from '../src/memory-store.ts';

storeConformance(
  'MemoryStore',
  async () => {
    const store = new MemoryStore();
    return { store, cleanup: () => store.close() };
  },
  {
    // The wall clock standing for a database's.
    databaseClock: async () => {
      const store = new MemoryStore({ clock: () => new Date() });
      return { store, cleanup: () => store.close() };
    },
  },
);

// One database for the file (creating one per test would cost more than the tests); the suite keeps
// tests apart with workflow types and ids of their own.
const db = useTestDatabase();

storeConformance(
  'PostgresStore',
  async () => {
    const store = new PostgresStore({ connectionString: db.connectionString, claimClock: 'engine' });
    await store.migrate();
    return { store, cleanup: () => store.close() };
  },
  {
    databaseClock: async () => {
      const store = new PostgresStore({ connectionString: db.connectionString });
      await store.migrate();
      return { store, cleanup: () => store.close() };
    },
  },
);
