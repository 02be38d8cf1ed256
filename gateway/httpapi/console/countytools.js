// The county's tools, in the wall screen's tool dialog (tools.js) in
// county mode: a broadcast, and emergency mode, sent to one or many
// sites (POST /api/v1/county/broadcasts, /api/v1/county/emergency) for a
// cell at each, by its id there (the community's own id: all of it). The buttons show only when
// GET /api/v1/site's "may" allows; the county and every site check again.
// Each site's reply is listed: accepted, refused (its status and why) or
// none in time. The emergency tool lists where emergency mode is on now
// (the sites' health: GET /api/v1/county/sites and the stream), each cell
// with a button that switches it off there (the whole site too:
// "whole_site": true).
"use strict";

import { $, el, clock } from "./dom.js";
import { t, addStrings } from "./i18n.js";

addStrings({
  "county.tool_sites": ["社区（可多选）", "Sites (one or many)"],
  "county.all_sites": ["全部社区", "All sites"],
  "county.tool_grid": ["网格编号（各社区的网格或社区本身）", "Cell id (at each site: a cell, or the community itself)"],
  "county.pick_sites": ["请至少选择一个社区", "Pick at least one site"],
  "county.accepted": ["已受理", "accepted"],
  "county.refused": ["被拒绝", "refused"],
  "county.no_reply": ["未回复", "no reply"],
  "county.replies": ["%d个社区已受理，共%d个", "%d of %d sites accepted"],
  "county.in_force": ["正在生效", "In force now"],
  "county.sent_here": ["本屏已发送", "Sent from this screen"],
  "county.switch_off": ["关闭", "Switch off"],
  "county.none_on": ["无社区处于紧急模式", "No site is in emergency mode"],
});

const sent = []; // what this screen sent, newest first (the tool's "in force" list)

function field(label, input) {
  return el("label", { class: "field" }, el("span", {}, t(label)), input);
}

// siteChecks is one checkbox per known site, with an "all" box.
function siteChecks(app) {
  const all = el("input", { type: "checkbox", id: "tool-all-sites" });
  const boxes = [...app.countySites.keys()].sort().map((s) => {
    const e = app.countySites.get(s).emergency, on = Boolean(e && e.on);
    return el("label", { class: "check", "data-emergency": String(on) }, el("input", { type: "checkbox", name: "tool-site", value: s }), s,
      on ? el("span", { class: "tag" }, t("county.emergency")) : null);
  });
  all.addEventListener("change", () => { for (const b of document.querySelectorAll('input[name="tool-site"]')) b.checked = all.checked; });
  return el("fieldset", { id: "tool-sites" }, el("legend", {}, t("county.tool_sites")),
    el("label", { class: "check" }, all, t("county.all_sites")), ...boxes);
}

function pickedSites() {
  const sites = [...document.querySelectorAll('input[name="tool-site"]:checked')].map((b) => b.value);
  if (!sites.length) throw new Error(t("county.pick_sites"));
  return sites;
}

function gridInput() {
  return field("county.tool_grid", el("input", { id: "tool-grid", maxLength: 64, spellcheck: false, required: true, autocomplete: "off" }));
}

// replies lists each site's result and remembers the request.
function replies(what, results) {
  const ok = results.filter((r) => r.reply && r.reply.ok).length;
  sent.unshift({ at: Date.now(), what, ok, n: results.length });
  sent.length = Math.min(sent.length, 10);
  const items = results.map((r) => {
    const rep = r.reply;
    const state = rep ? (rep.ok ? "accepted" : "refused") : "no_reply";
    const why = rep ? (rep.ok ? "" : " · " + rep.status + (rep.error ? " " + rep.error : "")) : (r.error ? " · " + r.error : "");
    return el("li", { "data-site": r.site, "data-reply": state, "data-status": rep ? rep.status : "" },
      el("b", {}, r.site), " · ", t("county." + state), why);
  });
  return el("div", {}, t("county.replies").replace("%d", ok).replace("%d", results.length), el("ul", { id: "tool-replies" }, items));
}

function history() {
  return sent.map((s) => el("li", {}, clock(s.at) + " · " + s.what + " · " + t("county.replies").replace("%d", s.ok).replace("%d", s.n)));
}

// scopeName names an emergency scope: its cell's name and id, or the
// whole site.
export function scopeName(s) {
  if (!s.grid) return t("whole_site");
  return s.grid_name ? s.grid_name + " (" + s.grid + ")" : s.grid;
}

// switchOff asks site to switch emergency mode off for grid ("": the
// whole site), and shows the reply as the form's result.
async function switchOff(app, site, grid) {
  const body = grid ? { sites: [site], grid, on: false } : { sites: [site], whole_site: true, on: false };
  try {
    const r = await app.api("/api/v1/county/emergency", { method: "POST", body: JSON.stringify(body) });
    $("tool-result").replaceChildren(replies(t("tools.emergency") + " " + t("tools.off") + " · " + site + " " + scopeName({ grid }), r.results || []));
    $("tool-result").dataset.ok = "true";
  } catch (e) {
    $("tool-result").textContent = e.message;
    $("tool-result").dataset.ok = "false";
  }
}

// inForce lists every scope on at every site, each cell with its
// switch-off button.
function inForce(app) {
  const items = [];
  for (const h of [...app.countySites.values()].sort((x, y) => (x.site < y.site ? -1 : 1))) {
    const e = h.emergency;
    if (!e || !e.on) continue;
    for (const s of e.scopes || []) {
      const off = el("button", { type: "button", class: "switch-off", "data-site": h.site, "data-grid": s.grid,
        onclick: () => switchOff(app, h.site, s.grid) }, t("county.switch_off"));
      items.push(el("li", { "data-site": h.site, "data-grid": s.grid, "data-stale": String(Boolean(e.stale)) },
        el("b", {}, h.site), " · ", scopeName(s), " · ", clock(s.at_ms), " · ", s.by,
        e.stale ? " · " + t("county.emergency_stale") : "", " ", off));
    }
  }
  if (!items.length) items.push(el("li", { class: "dim" }, t("county.none_on")));
  return [el("li", { class: "group" }, el("b", {}, t("county.in_force"))), ...items,
    el("li", { class: "group" }, el("b", {}, t("county.sent_here"))), ...history()];
}

// emergencyToolChanged redraws the emergency tool's list when a site's
// health changed while it is open.
export function emergencyToolChanged(app) {
  const d = $("tool-dialog");
  if (!d || !d.open || d.dataset.tool !== "emergency" || !app.countyTools) return;
  $("tool-current").replaceChildren(...inForce(app));
}

export const COUNTY_TOOLS = {
  broadcast: {
    fields: (app) => [siteChecks(app), gridInput(),
      field("tools.text", el("textarea", { id: "tool-text", rows: 3, maxLength: 500, required: true }))],
    submit: async (app) => {
      const body = { sites: pickedSites(), grid: $("tool-grid").value.trim(), text: $("tool-text").value };
      const r = await app.api("/api/v1/county/broadcasts", { method: "POST", body: JSON.stringify(body) });
      return replies(t("tools.broadcast"), r.results || []);
    },
    current: async () => history(),
  },
  emergency: {
    fields: (app) => [el("p", { class: "dim" }, t("tools.emergency_help")), siteChecks(app), gridInput(),
      el("div", { class: "buttons" },
        el("label", { class: "check" }, el("input", { type: "radio", name: "tool-on", value: "on", checked: true }), t("tools.on")),
        el("label", { class: "check" }, el("input", { type: "radio", name: "tool-on", value: "off" }), t("tools.off")))],
    submit: async (app) => {
      const on = document.querySelector('input[name="tool-on"]:checked').value === "on";
      const body = { sites: pickedSites(), grid: $("tool-grid").value.trim(), on };
      const r = await app.api("/api/v1/county/emergency", { method: "POST", body: JSON.stringify(body) });
      return replies(t("tools.emergency") + " " + t(on ? "tools.on" : "tools.off"), r.results || []);
    },
    current: async (app) => inForce(app),
  },
};
