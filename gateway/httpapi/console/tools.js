// The operator's tools, as forms in one dialog, shown only to the roles
// the permission table allows (GET /api/v1/site's "may"; the server
// checks again): a broadcast down the grid tree, a silence or installer's
// test mode, and emergency mode. Each shows what is in force.
"use strict";

import { $, el, clock } from "./dom.js";
import { t } from "./i18n.js";

let current = null; // the tool the dialog shows

// toolsOf is the tools of this screen: the county's in county mode
// (countytools.js), else the gateway's.
const toolsOf = (app) => app.countyTools || TOOLS;

function scopeSelect(app, id, withSite) {
  const opts = [];
  if (withSite && app.me && app.me.whole_site) opts.push(el("option", { value: "" }, t("whole_site")));
  for (const g of [...app.site.grids.values()].sort((x, y) => x.level - y.level || (x.id < y.id ? -1 : 1))) {
    opts.push(el("option", { value: g.id }, app.gridPath(g.id)));
  }
  return el("select", { id, name: id, required: true }, opts);
}

function field(label, input) {
  return el("label", { class: "field" }, el("span", {}, t(label)), input);
}

const TOOLS = {
  broadcast: {
    fields: (app) => [field("tools.scope", scopeSelect(app, "tool-grid", true)),
      field("tools.text", el("textarea", { id: "tool-text", rows: 3, maxLength: 500, required: true }))],
    submit: async (app) => {
      const b = await app.api("/api/v1/broadcasts", { method: "POST", body: JSON.stringify({ grid: $("tool-grid").value, text: $("tool-text").value }) });
      return t("tools.sent") + " " + b.id;
    },
    current: async (app) => {
      const list = await app.api("/api/v1/broadcasts?limit=5");
      return list.broadcasts.map((b) => el("li", {}, clock(b.created_ms) + " · " + (b.grid ? app.gridPath(b.grid) : t("whole_site")) + " · " + b.text + " · " +
        Object.entries(b.summary || {}).map(([k, v]) => k + " " + v).join(", ")));
    },
  },
  silence: {
    fields: (app) => [
      field("tools.silence_id", el("input", { id: "tool-id", required: true, maxLength: 64, pattern: "[A-Za-z0-9._-]{1,64}", value: "wall-" + Date.now().toString(36) })),
      field("tools.reason", el("input", { id: "tool-reason", required: true, maxLength: 200 })),
      field("tools.grids", scopeSelect(app, "tool-grid", false)),
      field("tools.devices", el("input", { id: "tool-devices", spellcheck: false })),
      el("label", { class: "check" }, el("input", { type: "checkbox", id: "tool-test", checked: true }), t("tools.test_mode")),
      field("tools.until", el("input", { type: "datetime-local", id: "tool-until", required: true, value: localInput(Date.now() + 2 * 3600e3) }))],
    submit: async (app) => {
      const devices = $("tool-devices").value.split(/[,，\s]+/).filter(Boolean);
      const body = { id: $("tool-id").value.trim(), reason: $("tool-reason").value.trim(), test: $("tool-test").checked,
        until: new Date($("tool-until").value).toISOString() };
      if (devices.length) body.devices = devices;
      else body.grids = [$("tool-grid").value];
      const s = await app.api("/api/v1/silences", { method: "POST", body: JSON.stringify(body) });
      return t("tools.set") + " " + s.id;
    },
    current: async (app) => {
      const list = await app.api("/api/v1/silences");
      return list.silences.map((s) => {
        const b = el("button", { type: "button" }, t("tools.remove"));
        b.addEventListener("click", async () => {
          try { await app.api("/api/v1/silences/" + encodeURIComponent(s.id), { method: "DELETE" }); } catch (e) { $("tool-result").textContent = e.message; }
          refresh(app);
        });
        return el("li", {}, s.id + " · " + s.reason + (s.test ? " · " + t("tag.test") : "") + " · " +
          [...(s.grids || []).map((g) => app.gridPath(g)), ...(s.devices || [])].join(", ") + (s.until ? " · → " + new Date(s.until).toLocaleString() : ""), " ", b);
      });
    },
  },
  emergency: {
    fields: (app) => [el("p", { class: "dim" }, t("tools.emergency_help")), field("tools.scope", scopeSelect(app, "tool-grid", true)),
      el("div", { class: "buttons" },
        el("label", { class: "check" }, el("input", { type: "radio", name: "tool-on", value: "on", checked: true }), t("tools.on")),
        el("label", { class: "check" }, el("input", { type: "radio", name: "tool-on", value: "off" }), t("tools.off")))],
    submit: async (app) => {
      const on = document.querySelector('input[name="tool-on"]:checked').value === "on";
      await app.api("/api/v1/emergency", { method: "POST", body: JSON.stringify({ grid: $("tool-grid").value, on }) });
      await banner(app);
      return t(on ? "tools.on" : "tools.off") + " ✓";
    },
    current: async (app) => (await emergencies(app)).map((e) => el("li", {}, (e.grid ? app.gridPath(e.grid) : t("whole_site")) + " · " + app.staffName(e.by) + " · " + clock(e.at))),
  },
};

function localInput(ms) {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

async function emergencies(app) {
  const list = await app.api("/api/v1/emergency");
  return (list.emergencies || []).filter((e) => e.on);
}

// The emergency banner lists every scope in emergency mode (扁平化) that
// touches the caller's cells — the whole site or a cell, since when, who
// switched it — for every role, not only those who may switch it: a grid
// member must know their cell has gone flat. It is read on every (re)load
// (GET /api/v1/emergency, which every role may read for its own cells) and
// kept live by the stream's "emergency" events, which carry the same list.
let emergencyGen = 0; // bumped by every live event: a read begun before one loses to it
let emergencyOn = []; // what the banner shows, to draw it again in another language

function renderBanner(app, list) {
  emergencyOn = list;
  const on = list.filter((e) => e.on).sort((x, y) => (x.grid < y.grid ? -1 : x.grid > y.grid ? 1 : 0));
  $("emergency-list").replaceChildren(...on.map((e) => el("li", { "data-grid": e.grid },
    el("b", {}, e.grid ? app.gridPath(e.grid) : t("whole_site")), " · ", t("tools.emergency_since"), " ", clock(e.at),
    " · ", t("tools.emergency_by"), " ", app.staffName(e.by))));
  $("emergency-banner").hidden = on.length === 0;
}

// redrawBanner draws the banner again (the language changed).
export function redrawBanner(app) {
  if (!app.countyTools && app.site) renderBanner(app, emergencyOn);
}

// banner re-reads the scopes in emergency mode.
async function banner(app) {
  if (app.countyTools || !app.me) { emergencyOn = []; $("emergency-banner").hidden = true; return; } // logged out: nothing to ask
  const gen = emergencyGen;
  try {
    const list = await emergencies(app);
    if (gen === emergencyGen) renderBanner(app, list);
  } catch (e) { /* read again on the next (re)load or switch */ }
}

// emergencyHeard notes that a live "emergency" event arrived, so that a
// read already under way does not overwrite it (called on receipt, before
// the event is applied).
export function emergencyHeard() { emergencyGen++; }

// emergencyChanged applies a live "emergency" event: the banner and, when
// the emergency tool is open, its list of what is in force.
export function emergencyChanged(app, data) {
  if (app.countyTools) return;
  renderBanner(app, data.emergencies || []);
  if (current === "emergency") refresh(app);
}

async function refresh(app) {
  if (!current) return;
  try {
    const items = await toolsOf(app)[current].current(app);
    $("tool-current").replaceChildren(...(items.length ? items : [el("li", { class: "dim" }, t("tools.none"))]));
  } catch (e) {
    $("tool-current").replaceChildren(el("li", { class: "dim" }, e.message));
  }
}

function open(app, name) {
  current = name;
  $("tool-title").textContent = t("tools." + name);
  $("tool-fields").replaceChildren(...toolsOf(app)[name].fields(app));
  $("tool-result").textContent = "";
  delete $("tool-result").dataset.ok;
  $("tool-dialog").dataset.tool = name;
  $("tool-dialog").showModal();
  refresh(app);
}

// showTools shows the buttons of the tools the caller may use.
export function showTools(app) {
  let any = false;
  for (const b of document.querySelectorAll("#tools button[data-tool]")) {
    b.hidden = !app.site.may.has(b.dataset.tool) || !toolsOf(app)[b.dataset.tool];
    any = any || !b.hidden;
  }
  $("tools").hidden = !any;
  banner(app);
}

export function initTools(app) {
  for (const b of document.querySelectorAll("#tools button[data-tool]")) b.addEventListener("click", () => open(app, b.dataset.tool));
  $("tool-close").addEventListener("click", () => { current = null; $("tool-dialog").close(); });
  $("tool-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!current) return;
    $("tool-submit").disabled = true;
    $("tool-result").textContent = "";
    delete $("tool-result").dataset.ok;
    try {
      $("tool-result").replaceChildren(await toolsOf(app)[current].submit(app));
      $("tool-result").dataset.ok = "true";
      refresh(app);
    } catch (err) {
      $("tool-result").textContent = err.message;
      $("tool-result").dataset.ok = "false";
    } finally {
      $("tool-submit").disabled = false;
    }
  });
}
