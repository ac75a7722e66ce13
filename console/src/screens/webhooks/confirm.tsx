/** A modal confirmation (native <dialog>: focus kept inside, Esc cancels, focus returns afterwards). */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { common } from "../../common";
import { useT } from "../../i18n";

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
      class="wh-confirm"
      aria-labelledby="wh-confirm-title"
      onCancel={(e) => (e.preventDefault(), props.onCancel())}
    >
      <h2 id="wh-confirm-title">{props.title}</h2>
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
