export { MemoryStore } from './memory-store.ts';
export * from './postgres.ts';
export { createTestEnv, type TestEnv, type TestEnvOptions } from './test-env.ts';
