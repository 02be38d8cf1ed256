// The county command hall (综治指挥大厅): what the wall screen adds in
// county mode (GET /api/v1/site says "county": true). In place of the
// plan and the device health it shows every site's health (online,
// ready, uplink lag and backlog, last summary, offline devices, open
// alarms; a site in trouble stands out), a banner while emergency mode
// (扁平化) is on anywhere (which sites and cells, since when, who; the
// last known state of a site out of sight marked so) and the KPIs per site and per
// grid cell (press → page, → ack, → arrive: median and p90). Both are
// fetched every few seconds; a site's health also arrives at once as a
// "site" stream event. The alarm queue gets filters by site, street,
// community and grid: the lists are fetched with them (the API narrows)
// and stream alarms outside them are left out.
"use strict";

import { $, el, duration, clock } from "./dom.js";
import { t, addStrings } from "./i18n.js";
import { COUNTY_TOOLS, emergencyToolChanged, scopeName } from "./countytools.js";

addStrings({
  "county.title": ["gridwatch 综治指挥大厅", "gridwatch county command hall"],
  "county.sites": ["社区网关", "Sites"],
  "county.kpis": ["处置时效", "Response times"],
  "county.kpi_window": ["近24小时", "last 24 h"],
  "county.col_site": ["社区", "Site"],
  "county.col_link": ["连接", "Link"],
  "county.col_ready": ["就绪", "Ready"],
  "county.col_lag": ["上报延迟", "Uplink lag"],
  "county.col_backlog": ["积压", "Backlog"],
  "county.col_summary": ["上次汇总", "Last summary"],
  "county.col_offline": ["离线设备", "Offline devices"],
  "county.col_open": ["未关闭报警", "Open alarms"],
  "county.online": ["在线", "online"],
  "county.offline": ["离线", "offline"],
  "county.unknown": ["未知", "unknown"],
  "county.ready": ["就绪", "ready"],
  "county.not_ready": ["未就绪", "not ready"],
  "county.lagging": ["滞后", "lagging"],
  "county.stale": ["汇总超时", "no summary"],
  "county.ago": ["前", "ago"],
  "county.col_name": ["社区 / 网格", "Site / cell"],
  "county.col_alarms": ["报警数", "Alarms"],
  "county.to_page": ["按键→通知", "Press → page"],
  "county.to_ack": ["按键→确认", "Press → ack"],
  "county.to_arrive": ["按键→到场", "Press → on scene"],
  "county.median": ["中位", "median"],
  "county.p90": ["P90", "p90"],
  "county.whole_county": ["全县", "County"],
  "county.by_site": ["按社区", "By site"],
  "county.by_grid": ["按网格", "By grid cell"],
  "county.no_sites": ["尚无社区网关上报", "No site has reported yet"],
  "county.filter_site": ["全部社区", "All sites"],
  "county.filter_street": ["街道", "Street"],
  "county.filter_community": ["社区", "Community"],
  "county.filter_grid": ["网格", "Grid"],
  "county.filter_apply": ["筛选", "Filter"],
  "county.filter_clear": ["清除", "Clear"],
  "county.emergency_on": ["紧急模式（扁平化）已开启", "Emergency mode (flat escalation) on"],
  "county.emergency": ["紧急模式", "emergency"],
  "county.emergency_since": ["开启于", "since"],
  "county.emergency_by": ["开启人", "by"],
  "county.emergency_stale": ["状态未确认（最后已知）", "unconfirmed (last known)"],
});

// Thresholds from which a site's uplink counts as lagging.
const LAG_MS = 30000, BACKLOG = 100;
const REFRESH_MS = 5000;

// countyLoaded is told each (re)load's GET /api/v1/site: it switches
// county mode on or off and, when on, fetches the sites and KPIs.
export function countyLoaded(app, site) {
  const on = Boolean(site && site.county);
  app.county = on;
  app.countyTools = on ? COUNTY_TOOLS : null;
  document.body.dataset.mode = on ? "county" : "gateway";
  $("app-title").dataset.i18n = on ? "county.title" : "app.title";
  $("app-title").textContent = t($("app-title").dataset.i18n);
  for (const id of ["county-sites", "county-kpis", "county-filter"]) $(id).hidden = !on;
  for (const id of ["plan-section", "health"]) $(id).hidden = on;
  if (on) refresh(app);
}

// filterQuery is the queue's filter as query parameters ("&site=…").
export function filterQuery(app) {
  if (!app.county) return "";
  return Object.entries(app.filter || {}).filter(([, v]) => v).map(([k, v]) => "&" + k + "=" + encodeURIComponent(v)).join("");
}

// visible reports whether alarm a passes the queue's filter: the site,
// and each cell given by id or name anywhere on the alarm's grid path.
export function visible(app, a) {
  const f = app.county && app.filter;
  if (!f) return true;
  if (f.site && a.site !== f.site) return false;
  for (const g of [f.street, f.community, f.grid]) {
    if (g && a.grid !== g && !(a.grid_path || []).includes(g) && !(a.grid_names || []).includes(g)) return false;
  }
  return true;
}

// countySite takes a "site" stream event: one site's new health.
export function countySite(app, h) {
  if (!app.county || !h || !h.site) return;
  h._at = Date.now();
  app.countySites.set(h.site, h);
  renderSites(app);
  emergencyToolChanged(app);
}

async function refresh(app) {
  if (!app.county || !app.me) return;
  try {
    const [s, k] = await Promise.all([app.api("/api/v1/county/sites"), app.api("/api/v1/county/kpis")]);
    const now = Date.now();
    app.countySites.clear();
    for (const h of s.sites || []) { h._at = now; app.countySites.set(h.site, h); }
    app.kpis = k;
    renderSites(app);
    renderKPIs(app);
    fillFilter(app);
  } catch (e) {
    app.showError(t("load.failed") + ": " + e.message);
  }
}

// trouble lists what is wrong with a site, worst first ("" when nothing).
function trouble(h) {
  const out = [];
  if (h.status_known && !h.online) out.push("offline");
  if (h.stale) out.push("stale");
  if (!h.ready) out.push("not_ready");
  if (h.uplink_lag_ms > LAG_MS || h.uplink_backlog > BACKLOG) out.push("lagging");
  return out;
}

function renderSites(app) {
  const now = Date.now();
  const list = [...app.countySites.values()].map((h) => [h, trouble(h)])
    .sort(([x, tx], [y, ty]) => ty.length - tx.length || (x.site < y.site ? -1 : 1));
  let online = 0, offline = 0, lagging = 0;
  const rows = list.map(([h, bad]) => {
    if (h.online) online++;
    if (h.status_known && !h.online) offline++;
    if (bad.includes("lagging")) lagging++;
    const link = !h.status_known ? "unknown" : h.online ? "online" : "offline";
    const age = h.last_summary_ms ? (h.summary_age_ms || 0) + (now - h._at) : null;
    const em = emergencyOf(h);
    const tr = el("tr", { "data-site": h.site, "data-online": String(Boolean(h.online)), "data-alert": bad[0] || "", "data-emergency": em },
      el("td", { class: "site" }, el("b", {}, h.site),
        em ? el("span", { class: "tag", "data-emergency": em, title: scopesText(h) }, t("county.emergency")) : null,
        ...bad.map((b) => el("span", { class: "tag", "data-trouble": b }, t("county." + b)))),
      el("td", { class: "link", "data-link": link }, t("county." + link)),
      el("td", { class: "ready", "data-ready": String(Boolean(h.ready)) }, t(h.ready ? "county.ready" : "county.not_ready")),
      el("td", { class: "lag num" }, h.last_summary_ms ? duration(h.uplink_lag_ms || 0) : "—"),
      el("td", { class: "backlog num" }, h.last_summary_ms ? String(h.uplink_backlog || 0) : "—"),
      el("td", { class: "summary num", "data-stale": String(Boolean(h.stale)) }, age === null ? "—" : duration(age)),
      el("td", { class: "offline num", title: (h.offline_devices || []).join(", ") }, String(h.devices_offline || 0)),
      el("td", { class: "open num" }, String(h.open_alarms || 0)));
    return tr;
  });
  $("site-rows").replaceChildren(...rows);
  $("sites-empty").hidden = rows.length > 0;
  $("site-count-online").textContent = online;
  $("site-count-offline").textContent = offline;
  $("site-count-lagging").textContent = lagging;
  renderEmergency(app);
}

// emergencyOf is a site's emergency mode for its row: "on", "stale" (on
// as last known, the site out of sight) or "" (off or never told).
function emergencyOf(h) {
  const e = h.emergency;
  if (!e || !e.on) return "";
  return e.stale ? "stale" : "on";
}

function scopesText(h) {
  return ((h.emergency && h.emergency.scopes) || []).map((s) => scopeName(s)).join(", ");
}

// renderEmergency shows the banner while emergency mode is on at any
// site: one line per scope, with its cell, since when and who.
function renderEmergency(app) {
  const items = [];
  for (const h of [...app.countySites.values()].sort((x, y) => (x.site < y.site ? -1 : 1))) {
    const em = emergencyOf(h);
    if (!em) continue;
    for (const s of h.emergency.scopes || []) {
      items.push(el("li", { "data-site": h.site, "data-grid": s.grid, "data-stale": String(em === "stale") },
        el("b", {}, h.site), " · ", scopeName(s), " · ", t("county.emergency_since"), " ", clock(s.at_ms),
        " · ", t("county.emergency_by"), " ", s.by,
        em === "stale" ? el("span", { class: "tag" }, t("county.emergency_stale")) : null));
    }
  }
  $("county-emergency-list").replaceChildren(...items);
  $("county-emergency").hidden = items.length === 0;
}

// statCells are the median and p90 cells of one interval, classed by
// step (page, ack, arrive); "—" when no alarm reached it.
function statCells(step, s) {
  if (!s || !s.count) return [el("td", { class: "num dim " + step + " p50" }, "—"), el("td", { class: "num dim " + step + " p90" }, "—")];
  return [el("td", { class: "num " + step + " p50" }, duration(s.median_ms)), el("td", { class: "num " + step + " p90" }, duration(s.p90_ms))];
}

function kpiRow(kind, key, name, k) {
  return el("tr", { "data-kpi": kind, "data-key": key },
    el("td", { class: "name" }, name), el("td", { class: "num alarms" }, String(k.alarms || 0)),
    ...statCells("page", k.press_to_page), ...statCells("ack", k.press_to_ack), ...statCells("arrive", k.press_to_arrive));
}

function renderKPIs(app) {
  const r = app.kpis;
  if (!r) return;
  const rows = [kpiRow("county", "", t("county.whole_county"), r.county || {})];
  rows.push(el("tr", { class: "group" }, el("th", { colSpan: 8 }, t("county.by_site"))));
  for (const site of Object.keys(r.sites || {}).sort()) rows.push(kpiRow("site", site, site, r.sites[site]));
  rows.push(el("tr", { class: "group" }, el("th", { colSpan: 8 }, t("county.by_grid"))));
  const grids = Object.entries(r.grids || {}).sort(([a, x], [b, y]) => (y.alarms || 0) - (x.alarms || 0) || (a < b ? -1 : 1));
  for (const [id, g] of grids) rows.push(kpiRow("grid", id, g.name || id, g));
  $("kpi-rows").replaceChildren(...rows);
}

// fillFilter offers the known sites and cells in the filter.
function fillFilter(app) {
  const sel = $("filter-site"), cur = sel.value;
  const sites = [...app.countySites.keys()].sort();
  if (cur && !sites.includes(cur)) sites.push(cur);
  sel.replaceChildren(el("option", { value: "" }, t("county.filter_site")), ...sites.map((s) => el("option", { value: s }, s)));
  sel.value = cur;
  const names = new Set();
  for (const [id, g] of Object.entries((app.kpis && app.kpis.grids) || {})) { names.add(id); if (g.name) names.add(g.name); }
  $("filter-cells").replaceChildren(...[...names].sort().map((n) => el("option", { value: n })));
}

function readFilter(app) {
  app.filter = { site: $("filter-site").value, street: $("filter-street").value.trim(),
    community: $("filter-community").value.trim(), grid: $("filter-grid").value.trim() };
  app.pinned = null;
  app.reload();
}

// initCounty wires the filter and the refresh; county mode itself comes
// with the first load.
export function initCounty(app) {
  app.countySites = new Map();
  app.kpis = null;
  app.filter = {};
  $("county-filter").addEventListener("submit", (e) => { e.preventDefault(); readFilter(app); });
  $("filter-site").addEventListener("change", () => readFilter(app));
  $("county-filter").addEventListener("reset", () => setTimeout(() => readFilter(app), 0));
  setInterval(() => refresh(app), REFRESH_MS);
  setInterval(() => { if (app.county) renderSites(app); }, 1000);
}

// countyLogout empties the panels when nobody is logged in.
export function countyLogout(app) {
  app.countySites.clear();
  app.kpis = null;
  if (!app.county) return;
  renderSites(app);
  $("kpi-rows").replaceChildren();
}

// renderCounty redraws the panels (after a language switch).
export function renderCounty(app) {
  if (!app.county) return;
  renderSites(app);
  renderKPIs(app);
  fillFilter(app);
}
