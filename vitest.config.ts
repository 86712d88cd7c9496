import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Suites use real servers, real databases and child processes; two cores are all there is.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
