import { defineConfig } from 'vitest/config';

/**
 * The bench accuracy tests hold a load generator to 1 % of its schedule; other test files
 * running beside them on 2 cores would starve it. They form their own project, which starts
 * once the parallel suite has finished and runs its files one at a time. One `vitest run`
 * still runs (and reports) every test.
 */
const ACCURACY = ['test/bench/accuracy.test.ts'];

export default defineConfig({
  test: {
    // The CLI tests spawn `node bin/turnpike.js`; rebuild dist/ once when sources are newer.
    globalSetup: ['test/support/build-dist.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start anvil nodes and gateways on real sockets; keep parallelism modest on 2 cores.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ACCURACY,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'accuracy',
          include: ACCURACY,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
