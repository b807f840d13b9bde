export * from './lint/index.ts';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts';
export * from './postgres.ts';
export {
  type LogLevel,
  type LogRecord,
  type RecordingLogger,
  recordingLogger,
} from './recording-logger.ts';
export {
  ReplayMismatchError,
  type ReplayOptions,
  recordHistory,
  replayHistories,
  replayHistory,
} from './replay.ts';
export { createTestEnv, type TestEnv, type TestEnvOptions } from './test-env.ts';
export { type PostgresSources, testPostgres } from './test-postgres.ts';
