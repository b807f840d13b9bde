import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: './vitest.global-setup.ts',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes, not worker threads: tests spawn and signal real processes.
    pool: 'forks',
  },
});
