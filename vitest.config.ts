import { defineConfig } from 'vitest/config';

/**
 * Suites that spawn many processes or push thousands of messages (crash/kill tests, multi-worker
 * scale tests) would starve each other on a two-core machine and miss their deadlines. They run in
 * a second group, one file at a time, after everything else has finished. They run small by default
 * (tests/helpers/test-size.ts); `npm run test:full` runs this group alone at full size.
 */
const HEAVY = ['tests/scale/**/*.test.ts', 'tests/delivery/crash.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['tests/**/*.test.ts'], exclude: HEAVY, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: HEAVY,
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
