// Device health: a line per grid cell (online, offline, unknown, low
// battery, on battery, video trouble), drilled into a cell's devices with
// their telemetry made readable (battery volts with a low mark, mains ✓/✗,
// signal bars, stream fps and loss), and the unregistered devices to adopt.
"use strict";

import { $, el, duration } from "./dom.js";
import { t } from "./i18n.js";
import { commandForm } from "./command.js";

// LOW_BATTERY_V is the mark below which a 12 V light box's battery shows
// as low (a lead-acid battery near the end of its charge).
const LOW_BATTERY_V = 11.5;
const SHOWN = new Set(["battery_v", "mains", "rssi_dbm", "rtp_fps", "rtp_loss_pct", "rtp_state", "temp_c"]);
const MAX_ROWS = 500;

const num = (v) => (typeof v === "number" && isFinite(v) ? v : null);
export const lowBattery = (tel) => num(tel.battery_v) !== null && tel.battery_v < LOW_BATTERY_V;
const onBattery = (tel) => tel.mains === false;
const videoBad = (d, tel) => d.kind === "camera" && tel.rtp_state !== undefined && tel.rtp_state !== "up";

// signalBars is 0–4 bars for a signal strength in dBm.
export function signalBars(dbm) {
  const v = num(dbm);
  return v === null ? 0 : v >= -60 ? 4 : v >= -70 ? 3 : v >= -80 ? 2 : v >= -90 ? 1 : 0;
}

function bars(dbm) {
  const v = num(dbm);
  const n = signalBars(dbm);
  return el("span", { class: "bars", "data-bars": n, title: v === null ? "" : v + " dBm" },
    [1, 2, 3, 4].map((i) => el("i", { "data-on": String(i <= n) })), v === null ? "" : el("small", {}, " " + v + " dBm"));
}

function battery(tel) {
  const v = num(tel.battery_v);
  if (v === null) return "—";
  const low = v < LOW_BATTERY_V;
  return el("span", { class: "battery", "data-low": String(low) }, v.toFixed(1) + " V", low ? " ⚠ " + t("health.low_battery") : "");
}

function mains(tel) {
  if (tel.mains === undefined) return "—";
  return el("span", { class: "mains", "data-ok": String(tel.mains === true) }, tel.mains === true ? "✓" : "✗ " + t("health.on_battery"));
}

function video(d, tel) {
  if (tel.rtp_fps === undefined && tel.rtp_state === undefined) return "—";
  const bad = videoBad(d, tel);
  const parts = [];
  if (num(tel.rtp_fps) !== null) parts.push(tel.rtp_fps.toFixed(1) + " fps");
  if (num(tel.rtp_loss_pct) !== null) parts.push(tel.rtp_loss_pct.toFixed(1) + "% loss");
  if (tel.rtp_state) parts.push(tel.rtp_state);
  return el("span", { class: "video", "data-ok": String(!bad) }, parts.join(" · "));
}

function other(tel) {
  const bits = [];
  if (num(tel.temp_c) !== null) bits.push(tel.temp_c.toFixed(1) + " °C");
  for (const k of Object.keys(tel).sort()) {
    if (SHOWN.has(k) || k.startsWith("rtp_")) continue;
    bits.push(k + " " + tel[k]);
  }
  return bits.join(" · ");
}

function seen(now, ms) {
  return ms ? duration(now - ms) + " " + t("health.ago") : t("health.never");
}

// renderHealth draws the summary, or the drilled-into cell.
export function renderHealth(app) {
  const counts = { online: 0, offline: 0, unknown: 0, unregistered: 0 };
  for (const d of app.devices.values()) counts[d.state] = (counts[d.state] || 0) + 1;
  for (const k of Object.keys(counts)) { const b = $("count-" + k); if (b) b.textContent = counts[k]; }
  $("health-back").hidden = !app.healthCell;
  $("health-body").replaceChildren(app.healthCell ? cellView(app, app.healthCell) : summary(app));
  const hit = app.healthDevice && document.querySelector(`#health-body tr[data-device-id="${CSS.escape(app.healthDevice)}"]`);
  if (hit) hit.scrollIntoView({ block: "nearest" });
}

function summary(app) {
  const byCell = new Map();
  const unregistered = [];
  for (const d of app.devices.values()) {
    if (!d.registered) { unregistered.push(d); continue; }
    const c = byCell.get(d.grid) || { online: 0, offline: 0, unknown: 0, low: 0, battery: 0, video: 0, total: 0 };
    const tel = d.telemetry || {};
    c[d.state] = (c[d.state] || 0) + 1;
    c.total++;
    if (lowBattery(tel)) c.low++;
    if (onBattery(tel)) c.battery++;
    if (videoBad(d, tel)) c.video++;
    byCell.set(d.grid, c);
  }
  const cellIds = [...byCell.keys()].sort((x, y) => app.gridPath(x).localeCompare(app.gridPath(y), "zh-CN"));
  const n = (v, bad) => el("td", { class: "num", "data-bad": String(bad && v > 0) }, v || "0");
  const rows = cellIds.map((id) => {
    const c = byCell.get(id);
    const tr = el("tr", { "data-grid": id, tabindex: 0 },
      el("td", { class: "cell-name" }, app.gridPath(id)),
      el("td", { class: "num" }, c.total), n(c.online, false), n(c.offline, true), n(c.unknown, true),
      n(c.low, true), n(c.battery, true), n(c.video, true));
    tr.addEventListener("click", () => { app.healthCell = id; app.healthDevice = null; renderHealth(app); });
    return tr;
  });
  const head = ["health.cell", "", "health.online", "health.offline", "health.unknown", "health.low_battery", "health.on_battery", "health.stream_bad"];
  const now = Date.now();
  unregistered.sort((x, y) => (x.id < y.id ? -1 : 1));
  return el("div", {},
    el("table", { id: "health-cells" }, el("thead", {}, el("tr", {}, head.map((k) => el("th", {}, k ? t(k) : "Σ")))), el("tbody", {}, rows)),
    el("h3", {}, t("health.adopt"), " ", el("b", { id: "unregistered-count" }, unregistered.length)),
    unregistered.length
      ? el("ul", { id: "unregistered" }, unregistered.slice(0, MAX_ROWS).map((d) => el("li", { "data-device-id": d.id },
        el("b", {}, d.id), el("small", {}, " " + (d.topic || "") + " · " + seen(now, d.last_seen_ms) + " · " + t("health.rejected") + " " + (d.rejected || 0)),
        el("code", {}, `- {id: ${d.id}, kind: lightbox, grid: ?}`))))
      : el("p", { class: "dim" }, t("health.none_unregistered")));
}

function cellView(app, cell) {
  const now = Date.now();
  const list = [...app.devices.values()].filter((d) => d.registered && d.grid === cell).sort((x, y) => (x.id < y.id ? -1 : 1));
  const head = ["health.device", "health.seen", "health.battery", "health.mains", "health.signal", "health.stream", "health.other", "health.rejected"];
  const rows = list.slice(0, MAX_ROWS).map((d) => {
    const tel = d.telemetry || {};
    const attrs = { "data-device-id": d.id, "data-state": d.state };
    if (d.id === app.healthDevice) attrs["data-picked"] = "true";
    attrs.tabindex = 0;
    const tr = el("tr", attrs,
      el("td", {}, el("b", {}, app.deviceLabel(d.id)), el("small", {}, " " + d.id + " · " + t("kind." + d.kind)),
        el("span", { class: "dstate", "data-state": d.state }, t("health." + d.state))),
      el("td", { class: "num" }, seen(now, d.last_seen_ms)),
      el("td", {}, battery(tel)), el("td", {}, mains(tel)), el("td", {}, tel.rssi_dbm !== undefined ? bars(tel.rssi_dbm) : "—"),
      el("td", {}, video(d, tel)), el("td", { class: "other" }, other(tel)), el("td", { class: "num" }, d.rejected || 0));
    // A click picks the device: its command form shows above the table.
    tr.addEventListener("click", () => { app.healthDevice = d.id; renderHealth(app); });
    return tr;
  });
  const picked = list.some((d) => d.id === app.healthDevice) ? app.healthDevice : null;
  return el("div", {},
    el("h3", { id: "health-cell" }, app.gridPath(cell)),
    picked ? commandForm(app, "health", picked) : null,
    el("table", { id: "health-devices" }, el("thead", {}, el("tr", {}, head.map((k) => el("th", {}, t(k))))), el("tbody", {}, rows)));
}

export function initHealth(app) {
  $("health-back").addEventListener("click", () => { app.healthCell = null; app.healthDevice = null; renderHealth(app); });
}
