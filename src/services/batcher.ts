import DataLoader from 'dataloader';

/**
 * Group commit for the hot paths (claims, outcomes): requests that arrive while a batch is
 * being written wait and go together in the next one, so a transaction and its statements
 * serve many calls under load, and a lone request still goes at once. Each request gets its
 * own result or its own error (an Error in the result array fails that request only).
 */
export function createBatcher<Item, Result>(
  run: (items: readonly Item[]) => Promise<Array<Result | Error>>,
  options: { maxBatchSize: number; maxInFlight: number },
): (item: Item) => Promise<Result> {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    inFlight -= 1;
    waiting.shift()?.();
  };
  const loader = new DataLoader<Item, Result>(
    async (items) => {
      try {
        return await run(items);
      } finally {
        release();
      }
    },
    {
      cache: false,
      maxBatchSize: options.maxBatchSize,
      batchScheduleFn: (dispatch) => {
        const start = () => {
          inFlight += 1;
          dispatch();
        };
        if (inFlight < options.maxInFlight) setImmediate(start);
        else waiting.push(start);
      },
    },
  );
  return (item) => loader.load(item);
}

/**
 * Runs the items together, and when that fails, each alone: one item's failure (a bad row, a
 * refused write) is its own, and the others still get their results.
 */
export async function togetherOrAlone<Item, Result>(
  items: readonly Item[],
  run: (items: readonly Item[]) => Promise<Result[]>,
): Promise<Array<Result | Error>> {
  try {
    return await run(items);
  } catch (error) {
    if (items.length === 1) return [error instanceof Error ? error : new Error(String(error))];
    const answers: Array<Result | Error> = [];
    for (const item of items) answers.push(...(await togetherOrAlone([item], run)));
    return answers;
  }
}
