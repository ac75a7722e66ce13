/** The few building blocks every screen uses: a page frame, loading and error states, a data hook. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api/client";
import { common } from "./common";
import { useT } from "./i18n";

export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions ? <div class="page-actions">{props.actions}</div> : null}
      </header>
      {props.children}
    </section>
  );
}

export function Loading() {
  const t = useT(common);
  return (
    <p class="muted" role="status">
      {t("loading")}
    </p>
  );
}

/** An error as a user should read it: a 409 says "someone changed this, reload". */
export function ErrorNote(props: { error: unknown; onReload?: () => void }) {
  const t = useT(common);
  const error = props.error;
  const text =
    error instanceof ApiError && error.isConflict
      ? t("conflict")
      : error instanceof ApiError && error.status === 403
        ? t("forbidden")
        : t("error", { message: error instanceof Error ? error.message : String(error) });
  return (
    <div class="note error" role="alert">
      <span>{text}</span>
      {props.onReload ? (
        <button type="button" onClick={props.onReload}>
          {t("reload")}
        </button>
      ) : null}
    </div>
  );
}

export function Notice(props: { children: ComponentChildren }) {
  return (
    <div class="note ok" role="status">
      {props.children}
    </div>
  );
}

/**
 * The scrolling box around a table. A table wider than the screen scrolls sideways inside it, and a
 * keyboard user can only scroll a box that takes focus: one that holds nothing focusable (an empty or
 * plain-text table) would be out of their reach (WCAG 2.1.1, axe `scrollable-region-focusable`). So it
 * is a focusable region named as its table is: pass the table's own name (`label`) or the id of the
 * element naming it (`labelledBy`).
 */
export function TableRegion(
  props: ({ label: string; labelledBy?: never } | { labelledBy: string; label?: never }) & { children: ComponentChildren },
) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.label} aria-labelledby={props.labelledBy}>
      {props.children}
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload); the last answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  useEffect(() => {
    const mine = ++run.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === run.current && setState({ data, loading: false }),
      (error: unknown) => mine === run.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A modal confirmation (native <dialog>: focus kept inside, Esc cancels, focus returns afterwards). */
export function Confirm(props: {
  title: string;
  confirm: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  const t = useT(common);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.showModal();
    return () => opener?.focus();
  }, []);
  return (
    <dialog
      ref={dialog}
      class="confirm-dialog"
      aria-labelledby="confirm-dialog-title"
      onCancel={(e) => (e.preventDefault(), props.onCancel())}
    >
      <h2 id="confirm-dialog-title">{props.title}</h2>
      {props.children}
      <div class="row">
        <button type="button" class="danger" disabled={props.busy} onClick={props.onConfirm}>
          {props.confirm}
        </button>
        <button type="button" onClick={props.onCancel} autoFocus>
          {t("cancel")}
        </button>
      </div>
    </dialog>
  );
}
