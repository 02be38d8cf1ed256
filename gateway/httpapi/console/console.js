// gridwatch security-room wall screen (1920×1080): the most urgent alarm in
// focus, the site plan, the alarm queue, device health, and the operator's
// tools. It follows /api/v1/stream with the browser's EventSource; on
// "hello" and "resync" it (re)loads the site and the lists, holding back
// stream events until they are in, then replays them on top (older states
// never overwrite newer ones). It asks /api/v1/session who is logged in
// and shows the login form when nobody is.
"use strict";

import { $, duration, countdown, clock, STATE_RANK, isOpen, pagesNobody, urgency } from "./dom.js";
import { t, initLang, setLang, getLang } from "./i18n.js";
import { Sound } from "./sound.js";
import { renderFocus, tickFocus, initFocusActions } from "./focus.js";
import { renderPlan } from "./plan.js";
import { renderHealth, initHealth } from "./health.js";
import { initTools, showTools, emergencyHeard, emergencyChanged, redrawBanner } from "./tools.js";
import { renderQueue, renderRecent } from "./queue.js";
import { mergeSession, loadSessions, renderCommission, tickCommission } from "./commission.js";
import { initCounty, countyLoaded, countySite, countyLogout, filterQuery, visible, renderCounty } from "./county.js";

const RECENT = 30; // closed alarms listed under the queue

// app is the screen's state, shared by its parts.
const app = {
  me: null, // GET /api/v1/session: who is logged in, and the CSRF token
  site: { grids: new Map(), devices: new Map(), staff: new Map(), may: new Set() },
  alarms: new Map(), // id → alarm (closed ones kept a while as tombstones)
  devices: new Map(), // id → device status
  recent: new Map(), // id → a closed alarm, for the recently closed list
  details: new Map(), // id → the alarm with its timeline
  sessions: new Map(), // id → a commissioning session (walk test)
  stale: new Set(), // ids whose timeline changed since it was loaded
  pinned: null, // the alarm an operator picked, else the most urgent is in focus
  pinnedByNote: false, // pinned only because a note was being typed
  healthCell: null, // the cell the device health is drilled into
  healthDevice: null, // the device picked on the plan
  sound: null,
  county: false, // county mode (county.js): every site's alarms
  api, act, focusOn, render, staffName, gridPath, deviceLabel, placeOf, showError, reload: () => load(),
  renderHealth: () => renderHealth(app),
  RECENT,
};

let loading = null; // stream events held back while the lists load
let loadRunning = false, loadAgain = false;
let stream = null;
let dirty = false, devicesDirty = false;
let known = null; // alarm ids seen, to tell a new red from a reload

// ---- names ----
function staffName(id) {
  const s = app.site.staff.get(id);
  return s ? s.name : id;
}
function gridPath(id) {
  const g = app.site.grids.get(id);
  if (!g) return id || t("health.no_cell");
  return g.path.map((p) => p.name || p.id).join(" › ");
}
function deviceLabel(id) {
  const d = app.site.devices.get(id) || app.devices.get(id);
  return d && d.name ? d.name : id;
}
// placeOf is where an alarm is: on a gateway, its device and cell; in the
// county view (an alarm with a site), the site, the device's name and the
// cell's path as the site sent them.
function placeOf(a) {
  if (!a.site) return deviceLabel(a.device) + " · " + gridPath(a.grid);
  const path = a.grid_names && a.grid_names.length ? [...a.grid_names].reverse().join(" › ") : a.grid;
  return a.site + " · " + (a.device_name || a.device) + " · " + path;
}

function showError(msg) {
  $("error").textContent = msg || "";
  $("error").hidden = !msg;
}

function setConn(state) {
  const c = $("conn");
  c.dataset.state = state;
  c.dataset.i18n = "conn." + state;
  c.textContent = t("conn." + state);
}

// ---- API ----
// The session cookie goes with every request; a state change carries the
// session's CSRF token too.
async function api(path, opts) {
  opts = opts || {};
  const headers = Object.assign({}, opts.headers);
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (app.me && app.me.csrf_token && opts.method && opts.method !== "GET") headers["X-CSRF-Token"] = app.me.csrf_token;
  const me = app.me; // who asked: a refusal of a request sent before a login must not end that login
  const res = await fetch(path, Object.assign({}, opts, { headers, credentials: "same-origin" }));
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    if (res.status === 401 && app.me === me) needLogin();
    throw new Error((body && body.error) || res.status + " " + res.statusText);
  }
  return body;
}

async function load() {
  if (loadRunning) { loadAgain = true; return; }
  loadRunning = true;
  loading = loading || [];
  try {
    const f = filterQuery(app);
    const [site, a, d, all] = await Promise.all([api("/api/v1/site"), api("/api/v1/alarms?state=open" + f), api("/api/v1/devices"),
      api("/api/v1/alarms?state=all&limit=" + RECENT + f)]);
    app.site = {
      grids: new Map(site.grids.map((g) => [g.id, g])),
      devices: new Map(site.devices.map((x) => [x.id, x])),
      staff: new Map(site.staff.map((x) => [x.id, x])),
      may: new Set(site.may),
    };
    countyLoaded(app, site);
    app.alarms.clear();
    for (const x of a.alarms) app.alarms.set(x.id, x);
    app.recent.clear();
    for (const x of all.alarms) if (!isOpen(x)) app.recent.set(x.id, x);
    if (!known) known = new Set(a.alarms.map((x) => x.id));
    app.devices.clear();
    for (const x of d.devices) app.devices.set(x.id, x);
    for (const id of app.details.keys()) app.stale.add(id);
    showTools(app);
    await loadSessions(app);
    showError("");
  } catch (e) {
    showError(t("load.failed") + ": " + e.message);
  } finally {
    const held = loading;
    loading = null;
    for (const [name, data] of held) apply(name, data);
    render();
    devicesDirty = true;
    loadRunning = false;
    if (loadAgain) { loadAgain = false; load(); }
  }
}

// act applies action to alarm id with note; the answer is merged at once.
async function act(id, action, note) {
  try {
    const a = await api("/api/v1/alarms/" + encodeURIComponent(id) + "/" + action, {
      method: "POST", body: JSON.stringify({ note: note || "" }),
    });
    mergeAlarm(a);
    app.details.set(a.id, a);
    app.stale.delete(a.id);
    render();
    showError("");
    return true;
  } catch (e) {
    showError(t("act.failed") + " (" + action + " " + id + "): " + e.message);
    return false;
  }
}

// ---- merging: never let an older state overwrite a newer one ----
function newerAlarm(a, cur) {
  if (!cur) return true;
  const ra = STATE_RANK[a.state] ?? 0, rc = STATE_RANK[cur.state] ?? 0;
  if (ra !== rc) return ra > rc;
  if (a.count !== cur.count) return a.count > cur.count;
  if (a.step !== cur.step) return a.step > cur.step;
  return (a.pages || []).length >= (cur.pages || []).length;
}
function mergeAlarm(a) {
  const cur = app.alarms.get(a.id);
  if (!newerAlarm(a, cur)) return;
  if (cur && cur.timeline && !a.timeline) a = Object.assign({}, a, { timeline: cur.timeline });
  app.alarms.set(a.id, a);
  if (!isOpen(a)) app.recent.set(a.id, a);
  if (known && !known.has(a.id)) {
    known.add(a.id);
    if (a.severity === "red" && a.state === "open" && !pagesNobody(a)) {
      app.sound.newRed();
      if (!$("focus-note").value) app.pinned = null; // a new red takes the focus, unless a note is being typed
    }
  }
}
function mergeDevice(d) {
  const cur = app.devices.get(d.id);
  if (!cur || d.registered !== cur.registered || d.version >= cur.version) app.devices.set(d.id, d);
}

function apply(name, data) {
  if (name === "alarm" && visible(app, data)) { mergeAlarm(data); app.stale.add(data.id); dirty = true; }
  if (name === "device") { mergeDevice(data); devicesDirty = true; }
  if (name === "commissioning") { mergeSession(app, data); dirty = true; }
  if (name === "emergency") emergencyChanged(app, data);
}

function onEvent(name, raw) {
  if (name === "hello" || name === "resync") { load(); return; }
  if (name === "bye") { setConn("reconnecting"); return; }
  if (name === "site") { try { countySite(app, JSON.parse(raw)); } catch (e) { /* not JSON: ignored */ } return; }
  if (name !== "alarm" && name !== "device" && name !== "commissioning" && name !== "emergency") return;
  let data;
  try { data = JSON.parse(raw); } catch (e) { return; }
  if (name === "emergency") emergencyHeard();
  if (loading) loading.push([name, data]);
  else { apply(name, data); if (name !== "device" && name !== "emergency") render(); }
}

// ---- focus ----
function sortedOpen() {
  return [...app.alarms.values()].filter(isOpen).sort(urgency);
}
function focused(open) {
  if (app.pinned && app.alarms.has(app.pinned)) return app.alarms.get(app.pinned);
  app.pinned = null;
  return open[0] || null;
}
function focusOn(id) {
  app.pinnedByNote = false;
  if (id && !app.alarms.has(id) && app.recent.has(id)) app.alarms.set(id, app.recent.get(id));
  app.pinned = id;
  render();
}

// ---- rendering ----
function render() {
  dirty = false;
  const now = Date.now();
  for (const [id, a] of app.alarms) { // forget tombstones after 10 minutes
    if (!isOpen(a) && now - (a.closed_ms || 0) > 600000 && id !== app.pinned) app.alarms.delete(id);
  }
  const open = sortedOpen();
  const focus = focused(open);
  renderQueue(app, open, focus);
  renderRecent(app, focus);
  renderFocus(app, focus, focus && !app.pinned);
  renderPlan(app, open, focus);
  renderCommission(app);
  app.sound.want(open.some((a) => a.severity === "red" && a.state === "open" && !pagesNobody(a)));
  tick();
}

function tick() {
  const now = Date.now();
  $("clock").textContent = clock(now);
  for (const e of document.querySelectorAll("#alarm-rows .age")) e.textContent = duration(now - Number(e.dataset.since));
  for (const td of document.querySelectorAll("#alarm-rows td.deadline")) {
    const due = Number(td.dataset.deadline);
    td.classList.toggle("overdue", due > 0 && due <= now);
    td.textContent = due > 0 ? (due > now ? countdown(due - now) : t("focus.overdue")) : "—";
  }
  tickFocus(app, now);
  if (tickCommission(now)) renderCommission(app);
}

// ---- the stream ----
// The browser's EventSource sends the session cookie. When it fails, the
// session is checked: gone, the login form is shown; else it retries.
function connect() {
  if (stream) stream.close();
  stream = null;
  if (!app.me) return;
  setConn("connecting");
  const es = new EventSource("/api/v1/stream");
  es.onopen = () => setConn("live");
  es.onerror = () => {
    setConn("reconnecting");
    api("/api/v1/session").then(() => {
      // A refused stream (not a dropped one) is not retried by the browser.
      if (es.readyState === EventSource.CLOSED && stream === es) setTimeout(() => { if (stream === es) connect(); }, 3000);
    }, () => {});
  };
  for (const name of ["hello", "alarm", "device", "commissioning", "emergency", "site", "resync", "bye"]) {
    es.addEventListener(name, (e) => onEvent(name, e.data));
  }
  stream = es;
}

// ---- login ----
function showWho() {
  const who = app.me;
  if (!who) return;
  const where = who.whole_site ? t("whole_site") : who.grids.map((g) => g.name || g.id).join(", ");
  $("whoami").textContent = (who.name || who.user) + " · " + t("role." + who.role) + " " + who.role + " · " + where;
}

function loggedIn(who) {
  app.me = who;
  $("login").hidden = true;
  $("whoami").hidden = false;
  showWho();
  $("logout").hidden = who.auth !== "session";
  connect();
}

function needLogin() {
  if (stream) stream.close();
  stream = null;
  app.me = null;
  app.alarms.clear();
  app.recent.clear();
  app.devices.clear();
  app.details.clear();
  app.stale.clear();
  app.sessions.clear();
  app.site = { grids: new Map(), devices: new Map(), staff: new Map(), may: new Set() };
  app.pinned = null;
  known = null;
  countyLogout(app);
  showTools(app);
  render();
  renderHealth(app);
  $("login").hidden = false;
  $("whoami").hidden = true;
  $("logout").hidden = true;
  setConn("need-login");
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const who = await api("/api/v1/session", {
      method: "POST",
      body: JSON.stringify({ user: $("login-user").value.trim(), password: $("login-password").value }),
    });
    $("login-password").value = "";
    showError("");
    loggedIn(who);
  } catch (err) {
    showError(t("login.failed") + ": " + err.message);
  }
});

$("logout").addEventListener("click", async () => {
  try {
    await api("/api/v1/session", { method: "DELETE" });
  } catch (err) {
    // ended already
  }
  needLogin();
});

$("lang").addEventListener("click", () => {
  setLang(getLang() === "zh" ? "en" : "zh");
  showWho();
  setConn($("conn").dataset.state);
  app.sound.show();
  render();
  renderHealth(app);
  renderCounty(app);
  redrawBanner(app);
});

window.addEventListener("resize", () => render());
// Rows and markers answer Enter as a click.
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.target instanceof Element && e.target.matches("tr[tabindex], li[tabindex], g[tabindex]")) {
    e.target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  }
});
// Typing a note holds the focus on that alarm: a new red does not take
// the panel from under the operator's hands.
$("focus-note").addEventListener("input", () => {
  if (!app.pinned && $("focus").dataset.alarmId) {
    app.pinned = $("focus").dataset.alarmId;
    app.pinnedByNote = true; // let go once the action is done
  }
});

// ---- start ----
initLang();
app.sound = new Sound();
initTools(app);
initFocusActions(app);
initHealth(app);
initCounty(app);
setInterval(() => {
  if (dirty) render();
  else tick();
  if (devicesDirty) { devicesDirty = false; renderHealth(app); renderPlan(app, sortedOpen(), focused(sortedOpen())); }
}, 1000);
api("/api/v1/session").then(loggedIn, () => needLogin());
