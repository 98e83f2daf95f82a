/**
 * Runs `tick` now and then every `ms` after the previous tick finished (one at a time, so a slow
 * store read never piles up requests) until the returned stop function is called.
 */
export function pollLoop(
  tick: () => Promise<void>,
  ms: number,
  onError: (err: unknown) => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = (): void => {
    tick()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(run, ms);
      });
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
