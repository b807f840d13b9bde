import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: './vitest.global-setup.ts',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes, not worker threads: tests spawn and signal real processes.
    pool: 'forks',
    // Reel's default loggers print nothing in tests: a test that expects a line passes a logger and
    // asserts it (recordingLogger). REEL_LOG_LEVEL=debug shows everything while you debug.
    env: { REEL_LOG_LEVEL: process.env.REEL_LOG_LEVEL || 'silent' },
  },
});
