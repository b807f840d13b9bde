import { defineConfig } from 'vitest/config';

/** The consumer test: packs every public package and installs the tarballs in an app of its own. */
export default defineConfig({
  test: {
    include: ['consumer/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
