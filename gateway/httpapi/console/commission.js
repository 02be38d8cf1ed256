// The commissioning panel: while an installer's walk test runs, each of
// its devices with its outcome (passed, failed, not seen, pending) and its
// checks ticked off as the gateway sees them, live from the stream's
// "commissioning" events. It shows only while a session is live, and
// only to callers whose may list has "commission".
"use strict";

import { $, el, clock, countdown } from "./dom.js";
import { t } from "./i18n.js";

const OUTCOMES = ["passed", "failed", "pending", "not_seen"];
const ATTENTION = ["failed", "not_seen", "pending", "passed"]; // the list's order: what needs the installer first
const MAX_DEVICES = 300; // a session of a whole site lists its first ones

// mergeSession keeps the newest state of a session (the stream may send
// an older one after a reload answered a newer one).
export function mergeSession(app, s) {
  const cur = app.sessions.get(s.id);
  if (!cur || s.version >= cur.version) app.sessions.set(s.id, s);
}

// loadSessions (re)reads the live sessions the caller may see (the panel
// shows no other; ended ones may be whole sites' reports).
export async function loadSessions(app) {
  app.sessions.clear();
  if (!app.site.may.has("commission")) return;
  const list = await app.api("/api/v1/commissioning?live=true");
  for (const s of list.sessions || []) mergeSession(app, s);
}

const live = (s, now) => !s.ended_ms && (!s.expires_ms || s.expires_ms > now);

// renderCommission draws the live sessions, or hides the panel.
export function renderCommission(app) {
  const now = Date.now();
  const sessions = [...app.sessions.values()].filter((s) => live(s, now)).sort((x, y) => x.started_ms - y.started_ms);
  $("commission").hidden = sessions.length === 0;
  $("wall").dataset.commissioning = String(sessions.length > 0);
  $("commission-body").replaceChildren(...sessions.map((s) => session(app, s)));
  tickCommission(now);
}

function session(app, s) {
  const sum = s.summary || {};
  const devices = Object.values(s.devices || {}).sort((x, y) =>
    ATTENTION.indexOf(x.outcome) - ATTENTION.indexOf(y.outcome) || (x.id < y.id ? -1 : 1));
  return el("div", { class: "session", "data-session-id": s.id },
    el("div", { class: "session-head" },
      el("b", {}, app.staffName(s.by)), s.reason ? el("span", {}, " · " + s.reason) : "",
      el("small", {}, " · " + t("com.started") + " " + clock(s.started_ms) + " · " + t("com.ends_in") + " "),
      el("small", { class: "com-left", "data-expires": s.expires_ms || 0 }, ""),
      el("span", { class: "com-summary" }, OUTCOMES.map((o) =>
        el("span", { class: "outcome", "data-outcome": o }, t("com." + o) + " ", el("b", {}, String(sum[o] || 0)))))),
    el("table", { class: "com-devices" }, el("tbody", {}, devices.slice(0, MAX_DEVICES).map((d) => row(app, d)))));
}

function row(app, d) {
  const marks = d.marks || {};
  const checks = (d.expected || []).map((c) => {
    const m = marks[c];
    const state = !m ? "open" : m.ok ? "ok" : "bad";
    const title = m ? clock(m.at_ms) + (m.detail ? " · " + m.detail : "") + (m.latency_ms ? " · " + m.latency_ms + " ms" : "") : "";
    return el("span", { class: "check", "data-check": c, "data-state": state, title },
      (state === "ok" ? "✓" : state === "bad" ? "✗" : "·") + " " + t("check." + c));
  });
  const out = Object.entries(d.out_of_range || {}).map(([k, v]) => k + " " + v);
  return el("tr", { "data-device-id": d.id, "data-outcome": d.outcome },
    el("td", {}, el("b", {}, d.name || app.deviceLabel(d.id)), el("small", {}, " " + d.id)),
    el("td", {}, el("span", { class: "outcome", "data-outcome": d.outcome }, t("com." + d.outcome))),
    el("td", { class: "checks" }, checks, out.length ? el("small", { class: "out-of-range" }, " ⚠ " + out.join(", ")) : ""));
}

// tickCommission moves the sessions' countdowns on; it reports whether a
// shown session has expired meanwhile (the panel needs drawing again).
export function tickCommission(now) {
  let expired = false;
  for (const e of document.querySelectorAll("#commission .com-left")) {
    const due = Number(e.dataset.expires);
    if (due > 0 && due <= now) expired = true;
    e.textContent = due > 0 ? countdown(due - now) : "—";
  }
  return expired;
}
