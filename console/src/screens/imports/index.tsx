/** Nhập khách hàng (admins): a new import (`#/imports`) or a past one where it stands
 * (`#/imports/<import_id>`), with the past imports below. */
import { useMemo, useState } from "preact/hooks";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href, navigate } from "../../router";
import { useApi } from "../../session";
import { Loading, Page, useLoad } from "../../ui";
import { Refusal } from "../leads/shared";
import type { ScreenProps } from "../registry";
import { importsApi, type ImportRecord } from "./api";
import { ImportHistory } from "./history";
import { dict } from "./i18n";
import { ImportWizard } from "./wizard";
import "./imports.css";

export default function Screen(props: ScreenProps) {
  const t = useT(dict);
  const c = useT(common);
  const api = useApi();
  const imports = useMemo(() => importsApi(api), [api]);
  const [importId] = props.route.params;
  const [changed, setChanged] = useState("");
  // A new import's page only replaces its URL with the import's (no hash change, no remount), so
  // "another file" from there remounts the wizard itself: a fresh key for each new import.
  const [fresh, setFresh] = useState(0);
  const existing = useLoad(async () => (importId ? imports.get(importId) : null), [importId]);
  const onChanged = (record: ImportRecord) => {
    setChanged(`${record.import_id}:${record.status}`);
    if (record.import_id !== importId) history.replaceState(null, "", href("imports", record.import_id));
  };
  return (
    <Page title={c("nav.imports")}>
      <p>
        <a href={href("leads")}>{t("backToList")}</a>
      </p>
      <p class="muted">{t("intro")}</p>
      {existing.error ? <Refusal error={existing.error} onReload={existing.reload} /> : null}
      {importId && existing.loading ? (
        <Loading />
      ) : importId && !existing.data ? null : (
        <ImportWizard
          key={importId ?? `new-${fresh}`}
          imports={imports}
          initial={existing.data ?? null}
          onChanged={onChanged}
          onNew={() => {
            setFresh((n) => n + 1);
            navigate("imports");
          }}
        />
      )}
      <ImportHistory imports={imports} refresh={changed} />
    </Page>
  );
}
