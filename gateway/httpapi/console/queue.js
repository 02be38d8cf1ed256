// The alarm queue: every open alarm, red before orange before yellow
// before blue (dom.js urgency), each row with its place, state, countdown
// and quick actions (a note is asked for); and under it the recently
// closed alarms. A click on a row shows that alarm in the focus panel.
"use strict";

import { $, el, clock, STATE_RANK } from "./dom.js";
import { t } from "./i18n.js";

const ACTIONS = ["ack", "arrive", "resolve"];

export function renderQueue(app, open, focus) {
  const may = app.site.may.has("act");
  $("alarm-rows").replaceChildren(...open.map((a) => alarmRow(app, a, focus && a.id === focus.id, may)));
  $("alarm-count").textContent = open.length;
  $("alarm-count").dataset.count = open.length;
  $("alarms-empty").hidden = open.length > 0;
}

// renderRecent lists the latest closed alarms, newest first; a click
// shows one in the focus panel with its timeline.
export function renderRecent(app, focus) {
  const list = [...app.recent.values()].sort((x, y) => (y.closed_ms || 0) - (x.closed_ms || 0)).slice(0, app.RECENT);
  for (const [id] of app.recent) if (!list.some((a) => a.id === id)) app.recent.delete(id);
  $("recent-rows").replaceChildren(...list.map((a) => {
    const li = el("li", { "data-alarm-id": a.id, "data-severity": a.severity, "data-state": a.state, tabindex: 0 },
      el("span", { class: "chip" }, t("sev." + a.severity)), " ", el("b", {}, a.title || a.rule), " ",
      el("small", {}, (a.site ? a.site + " · " : "") + app.deviceLabel(a.device) + " · " + t("state." + a.state) + " " + clock(a.closed_ms)));
    if (focus && focus.id === a.id) li.dataset.focus = "true";
    li.addEventListener("click", () => app.focusOn(a.id));
    return li;
  }));
  $("recent-empty").hidden = list.length > 0;
}

function alarmRow(app, a, isFocus, may) {
  const rank = STATE_RANK[a.state] ?? 0;
  const buttons = may ? ACTIONS.map((action) => {
    const b = el("button", { type: "button", "data-action": action }, t("act." + action));
    b.disabled = (action === "ack" && rank > 0) || (action === "arrive" && rank > 1);
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      const note = window.prompt(t("act.prompt") + " (" + t("act." + action) + " · " + (a.title || a.rule) + ")", "");
      if (note !== null) app.act(a.id, action, note);
    });
    return b;
  }) : [];
  // A test press (installer's test mode) or a muted alarm pages nobody:
  // it is shown, tagged and dimmed, but does not blink.
  const attrs = { "data-alarm-id": a.id, "data-severity": a.severity, "data-state": a.state };
  if (isFocus) attrs["data-focus"] = "true";
  const tags = [];
  if (a.test) {
    attrs["data-muted"] = "test";
    tags.push(el("span", { class: "tag", title: a.muted || "" }, t("tag.test")));
  } else if (a.muted) {
    attrs["data-muted"] = "muted";
    tags.push(el("span", { class: "tag", title: a.muted }, t("tag.muted")));
  }
  attrs.tabindex = 0;
  const tr = el("tr", attrs,
    el("td", { class: "sev" }, el("span", { class: "chip" }, t("sev." + a.severity))),
    el("td", { class: "title" }, el("b", {}, a.title || a.rule), ...tags,
      el("div", { class: "place" }, app.placeOf(a)),
      el("small", { class: "age", "data-since": a.raised_ms }, "")),
    el("td", { class: "state" }, t("state." + a.state)),
    el("td", { class: "deadline num", "data-deadline": a.next_deadline_ms || 0 }, ""),
    el("td", { class: "actions" }, ...buttons));
  tr.addEventListener("click", () => app.focusOn(a.id));
  return tr;
}
