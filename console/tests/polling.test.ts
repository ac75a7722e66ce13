// The one polling helper: asks until a terminal status, backs off between asks, reports nothing after
// stop (a screen that unmounts), and stops on an error.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { delayAfter, poll } from "../src/polling";

type Job = { status: string };
const backoff = { first: 100, factor: 2, max: 350 };

/** A job whose successive answers are `statuses` (the last one repeats). */
function job(...statuses: string[]) {
  let n = 0;
  const fetch = vi.fn(async (): Promise<Job> => ({ status: statuses[Math.min(n++, statuses.length - 1)] ?? "" }));
  return fetch;
}

describe("poll", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("asks until a terminal status and reports every answer", async () => {
    // Given a job that is queued, running, then done
    const fetch = job("queued", "running", "done");
    const seen: string[] = [];
    // When it is polled to its end
    poll({ fetch, settled: (j) => j.status === "done", onValue: (j) => seen.push(j.status), onError: () => {}, backoff });
    await vi.runAllTimersAsync();
    // Then each state was reported once, and nothing was asked after done
    expect(seen).toEqual(["queued", "running", "done"]);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("backs off between asks, up to the cap", async () => {
    // Given a job that never settles
    const fetch = job("running");
    const stop = poll({ fetch, settled: () => false, onValue: () => {}, onError: () => {}, backoff });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    // Then the second ask comes after 100 ms, the third 200 ms later, then every 350 ms (the cap)
    await vi.advanceTimersByTimeAsync(99);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(350);
    expect(fetch).toHaveBeenCalledTimes(4);
    await vi.advanceTimersByTimeAsync(350);
    expect(fetch).toHaveBeenCalledTimes(5);
    stop();
    expect([0, 1, 2, 3].map((n) => delayAfter(n, backoff))).toEqual([100, 200, 350, 350]);
  });

  it("reports nothing and asks nothing once stopped (the screen unmounted)", async () => {
    // Given a poll whose first answer is still on its way
    let answer: (job: Job) => void = () => {};
    const fetch = vi.fn(() => new Promise<Job>((resolve) => (answer = resolve)));
    const onValue = vi.fn();
    const stop = poll({ fetch, settled: () => false, onValue, onError: () => {}, backoff });
    // When it is stopped before the answer arrives
    stop();
    answer({ status: "running" });
    await vi.runAllTimersAsync();
    // Then the answer is dropped and no further request is made
    expect(onValue).not.toHaveBeenCalled();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("stops while waiting between asks", async () => {
    const fetch = job("running");
    const stop = poll({ fetch, settled: () => false, onValue: () => {}, onError: () => {}, backoff });
    await vi.advanceTimersByTimeAsync(0);
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("stops on an error and reports it", async () => {
    // Given a job whose second ask fails
    const fetch = vi
      .fn<() => Promise<Job>>()
      .mockResolvedValueOnce({ status: "running" })
      .mockRejectedValueOnce(new Error("HTTP 500"));
    const onError = vi.fn();
    poll({ fetch, settled: () => false, onValue: () => {}, onError, backoff });
    await vi.runAllTimersAsync();
    // Then the error is reported once and nothing more is asked
    expect(onError).toHaveBeenCalledTimes(1);
    expect((onError.mock.calls[0]?.[0] as Error).message).toBe("HTTP 500");
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
