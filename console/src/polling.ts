/** Following a background job (an export, an import) until it settles: ask, wait, ask again a little
 * later each time (backing off), stop on a terminal status, on an error, or when the caller stops
 * (a screen that unmounts). One helper, so every screen polls the same polite way. */
import { useEffect, useState } from "preact/hooks";

export interface Backoff {
  /** Wait before the second request (ms). */
  first: number;
  /** Each wait is the previous one times this. */
  factor: number;
  /** Never wait longer than this (ms). */
  max: number;
}

export const BACKOFF: Backoff = { first: 500, factor: 1.5, max: 5000 };

/** The waits between requests: first, first×factor, … capped at max. */
export function delayAfter(attempt: number, backoff: Backoff = BACKOFF): number {
  return Math.min(backoff.max, backoff.first * backoff.factor ** attempt);
}

export interface PollOptions<T> {
  /** One request for the job's state. */
  fetch: () => Promise<T>;
  /** True once the job is in a terminal status: polling stops after reporting it. */
  settled: (value: T) => boolean;
  onValue: (value: T) => void;
  onError: (error: unknown) => void;
  backoff?: Backoff;
}

/** Starts polling now; returns `stop` (idempotent). Nothing is reported after `stop`. */
export function poll<T>(options: PollOptions<T>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  const tick = async () => {
    let value: T;
    try {
      value = await options.fetch();
    } catch (error) {
      if (!stopped) options.onError(error);
      stopped = true;
      return;
    }
    if (stopped) return;
    options.onValue(value);
    if (options.settled(value)) {
      stopped = true;
      return;
    }
    timer = setTimeout(() => void tick(), delayAfter(attempt++, options.backoff));
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  /** Starts over (after an error, or to follow the job again after an action). */
  restart: () => void;
}

/** `poll` for a component: starts when `key` is set (and when it changes), stops on unmount. */
export function usePoll<T>(key: string | null, fetch: () => Promise<T>, settled: (value: T) => boolean): Polled<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: unknown }>({ key });
  const [round, setRound] = useState(0);
  useEffect(() => {
    setState((s) => (s.key === key ? { ...s, error: undefined } : { key }));
    if (key === null) return undefined;
    return poll({
      fetch,
      settled,
      onValue: (data) => setState({ key, data }),
      onError: (error) => setState((s) => ({ ...s, key, error })),
    });
  }, [key, round]);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    restart: () => setRound((n) => n + 1),
  };
}
