import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that run for over a minute start first, so the rest of the suite runs beside them rather
 * than after them. Vitest orders by the durations it cached on an earlier run; a fresh clone (CI)
 * has none, and vitest then starts the largest files first, which puts these anywhere.
 */
const LONGEST = ['test/newcomer.test.ts'];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = LONGEST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index === -1 ? LONGEST.length : index;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
