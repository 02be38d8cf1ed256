// The county's tools, in the wall screen's tool dialog (tools.js) in
// county mode: a broadcast, and emergency mode, sent to one or many
// sites (POST /api/v1/county/broadcasts, /api/v1/county/emergency) for a
// cell at each, by its id there (the community's own id: all of it). The buttons show only when
// GET /api/v1/site's "may" allows; the county and every site check again.
// Each site's reply is listed: accepted, refused (its status and why) or
// none in time.
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
});

const sent = []; // what this screen sent, newest first (the tool's "in force" list)

function field(label, input) {
  return el("label", { class: "field" }, el("span", {}, t(label)), input);
}

// siteChecks is one checkbox per known site, with an "all" box.
function siteChecks(app) {
  const all = el("input", { type: "checkbox", id: "tool-all-sites" });
  const boxes = [...app.countySites.keys()].sort().map((s) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "tool-site", value: s }), s));
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
    current: async () => history(),
  },
};
