/** The tenant's rules with their state, enable/disable, and delete after a confirmation. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ok } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import { takeFlash } from "./flash";
import { words } from "./i18n";
import { scopeOf, windowOf, type Rule } from "./logic";
import { loadStaff, namer } from "./staff";

export function RuleList() {
  const t = useT(words);
  const c = useT(common);
  const api = useApi();
  const fmt = useFormat();
  const [notice, setNotice] = useState<string | null>(() => takeFlash());
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Rule | null>(null);
  const rules = useLoad(async () => ok(await api.GET("/rules")).items, []);
  const staff = useLoad(() => loadStaff(api), []);
  const nameOf = namer(staff.data);

  const act = async (rule: Rule, action: "enable" | "disable" | "delete") => {
    setBusy(rule.rule_id);
    setActionError(null);
    setNotice(null);
    try {
      const path = { params: { path: { rule_id: rule.rule_id } } };
      if (action === "enable") ok(await api.POST("/rules/{rule_id}/enable", path));
      else if (action === "disable") ok(await api.POST("/rules/{rule_id}/disable", path));
      else {
        ok(await api.DELETE("/rules/{rule_id}", path));
        setNotice(t("deleted", { name: rule.name }));
      }
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(null);
      setConfirming(null);
      rules.reload();
    }
  };

  const scopeText = (rule: Rule) => {
    const scope = scopeOf(rule);
    return scope.campaign
      ? t("scopeCampaign", { campaign: scope.campaign })
      : t("scopePool", { pool: scope.pool ?? "", step: scope.step ?? "" });
  };
  const windowText = (rule: Rule) => {
    const w = windowOf(rule);
    const span =
      w.start && w.end
        ? t("windowBetween", { start: fmt.dateTime(w.start), end: fmt.dateTime(w.end) })
        : w.start
          ? t("windowFrom", { start: fmt.dateTime(w.start) })
          : w.end
            ? t("windowUntil", { end: fmt.dateTime(w.end) })
            : t("windowAlways");
    const every = w.interval_minutes ? t("everyMinutes", { n: w.interval_minutes }) : t("everyTick");
    return `${span}, ${every}`;
  };

  return (
    <Page
      title={t("title")}
      actions={
        <a class="rules-new" href={href("rules", "new")}>
          {t("newRule")}
        </a>
      }
    >
      {notice ? <Notice>{notice}</Notice> : null}
      {actionError ? <ErrorNote error={actionError} onReload={rules.reload} /> : null}
      {rules.error ? <ErrorNote error={rules.error} onReload={rules.reload} /> : null}
      {!rules.data ? (
        rules.loading ? <Loading /> : null
      ) : rules.data.length === 0 ? (
        <p class="muted">{t("noRules")}</p>
      ) : (
        <TableRegion label={t("listCaption")}>
          <table class="rules-table">
            <caption class="visually-hidden">{t("listCaption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("col.name")}</th>
                <th scope="col">{t("col.state")}</th>
                <th scope="col">{t("col.kind")}</th>
                <th scope="col">{t("col.scope")}</th>
                <th scope="col">{t("col.window")}</th>
                <th scope="col">{t("col.staff")}</th>
                <th scope="col" class="num">
                  {t("col.priority")}
                </th>
                <th scope="col">{c("actions")}</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.map((rule) => (
                <tr key={rule.rule_id} data-rule-id={rule.rule_id}>
                  <th scope="row">
                    <a href={href("rules", rule.rule_id)} aria-label={t("editNamed", { name: rule.name })}>
                      {rule.name}
                    </a>
                    <div class="muted small">{t("version", { n: rule.version ?? 1 })}</div>
                  </th>
                  <td>
                    <span class={`badge ${rule.active ? "state-on" : "state-off"}`}>
                      {rule.active ? t("active") : t("inactive")}
                    </span>
                  </td>
                  <td>{t(`kind.${rule.kind}`)}</td>
                  <td>
                    {scopeText(rule)}
                  </td>
                  <td>{windowText(rule)}</td>
                  <td>
                    <ul class="plain">
                      {rule.staff.map((s) => (
                        <li key={s.staff_id}>{t("staffWeight", { name: nameOf(s.staff_id), weight: s.weight ?? 1 })}</li>
                      ))}
                    </ul>
                  </td>
                  <td class="num">{fmt.number(rule.priority ?? 0)}</td>
                  <td>
                    <div class="row-actions">
                      {rule.active ? (
                        <button
                          type="button"
                          disabled={busy === rule.rule_id}
                          aria-label={t("disableNamed", { name: rule.name })}
                          onClick={() => void act(rule, "disable")}
                        >
                          {t("disable")}
                        </button>
                      ) : (
                        <button
                          type="button"
                          disabled={busy === rule.rule_id}
                          aria-label={t("enableNamed", { name: rule.name })}
                          onClick={() => void act(rule, "enable")}
                        >
                          {t("enable")}
                        </button>
                      )}
                      <button
                        type="button"
                        class="danger"
                        disabled={busy === rule.rule_id}
                        aria-label={t("deleteNamed", { name: rule.name })}
                        onClick={() => setConfirming(rule)}
                      >
                        {c("delete")}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {confirming ? (
        <ConfirmDelete
          name={confirming.name}
          onYes={() => void act(confirming, "delete")}
          onNo={() => setConfirming(null)}
        />
      ) : null}
    </Page>
  );
}

function ConfirmDelete(props: { name: string; onYes: () => void; onNo: () => void }) {
  const t = useT(words);
  const c = useT(common);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), [props.name]);
  return (
    <div
      class="note warn confirm"
      role="alertdialog"
      aria-labelledby="confirm-delete-text"
      onKeyDown={(e) => e.key === "Escape" && props.onNo()}
    >
      <span id="confirm-delete-text">{t("confirmDelete", { name: props.name })}</span>
      <button type="button" class="danger" ref={yes} onClick={props.onYes}>
        {t("confirmDeleteYes")}
      </button>
      <button type="button" onClick={props.onNo}>
        {c("cancel")}
      </button>
    </div>
  );
}
