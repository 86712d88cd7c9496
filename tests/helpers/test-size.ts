/**
 * How big the heavy tests run. By default small enough that the suite stays quick and holds on a
 * busy machine (the behaviour they pin does not depend on volume); SUDI_TEST_FULL=1 runs them at
 * full size (`npm run test:full`, which .ci/run runs after `npm test`).
 */
export const FULL_SIZE = process.env.SUDI_TEST_FULL === '1';

/** `full` under SUDI_TEST_FULL=1, otherwise `small`. */
export const testSize = (full: number, small: number): number => (FULL_SIZE ? full : small);
