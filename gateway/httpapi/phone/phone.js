// phone.js: the gridwatch staff app (grid member, grid leader, police).
//
// It logs in with the session API, shows the open alarms of the caller's
// cells ("my alarms") and follows them live over the event stream the
// console uses (GET /api/v1/stream). Every page the gateway sent to this
// person that the app sees is confirmed (POST /api/v1/pages/{id}/received),
// so the page counts as delivered; a new one rings and vibrates. The last
// known state is kept in localStorage, and the service worker keeps the
// shell, so the app opens offline and shows it.
import { pickLang, translator } from "./i18n.js";
import { navLinks } from "./nav.js";

const $ = (sel) => document.querySelector(sel);
const STORE = "gw.state";
const SEV_RANK = { red: 0, orange: 1, yellow: 2, blue: 3 };
const STATE_RANK = { open: 0, acknowledged: 1, on_scene: 2 };
const CLOSED = new Set(["resolved", "cleared"]);

let lang = pickLang();
let t = translator(lang);

const app = {
  me: null, // the session: user, name, role, grids, csrf_token
  alarms: new Map(), // id → alarm (no timeline)
  places: {}, // alarm id → place
  notices: [], // broadcasts that concern the caller
  savedAt: 0, // when the state was last known to be current (ms)
  confirmed: new Set(), // page ids this app confirmed (or saw delivered)
  fresh: new Set(), // alarm ids that rang and are not yet looked at
  detail: null, // the alarm open in the detail view, with its timeline
  skew: 0, // the gateway's clock minus ours (ms)
  stream: null,
  conn: "connecting",
  sound: localStorage.getItem("gw.sound") !== "off",
  audio: null,
  timers: {},
};

// ---- the gateway's API ----

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && app.me && app.me.csrf_token) headers["X-CSRF-Token"] = app.me.csrf_token;
  const r = await fetch(path, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const date = Date.parse(r.headers.get("Date") || "");
  if (!Number.isNaN(date)) {
    const skew = date - Date.now();
    app.skew = Math.abs(skew) > 2000 ? skew : 0; // Date has whole seconds only
  }
  let data = null;
  if (r.status !== 204) {
    try { data = await r.json(); } catch { data = null; }
  }
  if (!r.ok) {
    const e = new Error((data && data.error) || `HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return data;
}

const now = () => Date.now() + app.skew;

// ---- the last known state, kept in the browser ----

function save() {
  if (!app.me) return;
  app.savedAt = now();
  const { csrf_token, ...me } = app.me; // the token is worth nothing later
  try {
    localStorage.setItem(STORE, JSON.stringify({
      me, alarms: [...app.alarms.values()], places: app.places, notices: app.notices, savedAt: app.savedAt,
    }));
  } catch { /* full or denied: the live view still works */ }
}

function restore() {
  try {
    const s = JSON.parse(localStorage.getItem(STORE) || "null");
    if (!s || !s.me) return false;
    app.me = s.me;
    app.alarms = new Map((s.alarms || []).map((a) => [a.id, a]));
    app.places = s.places || {};
    app.notices = s.notices || [];
    app.savedAt = s.savedAt || 0;
    return true;
  } catch {
    return false;
  }
}

function forget() {
  localStorage.removeItem(STORE);
  app.me = null;
  app.alarms = new Map();
  app.places = {};
  app.notices = [];
  app.confirmed = new Set();
  app.fresh = new Set();
  app.detail = null;
  names = null;
  renderEmergency([]);
}

// ---- connection and session ----

function setConn(state) {
  app.conn = state;
  const el = $("#conn");
  el.dataset.state = state;
  el.textContent = t(state === "need-login" ? "offline" : state);
  if (state === "need-login") el.textContent = "—";
  const banner = $("#banner");
  if (state === "offline" && app.me) {
    banner.textContent = t("offlineSince", { t: app.savedAt ? clock(app.savedAt) : "—" });
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

async function start() {
  applyLang();
  registerWorker();
  if (restore()) {
    show("home");
    render();
  }
  await checkSession();
  setInterval(tick, 1000);
}

// checkSession asks who we are: logged in → live; 401 → the login form;
// no answer → offline with the last known state, asking again later.
async function checkSession() {
  clearTimeout(app.timers.retry);
  try {
    const me = await api("GET", "/api/v1/session");
    if (me.auth === "none") { // auth off and not logged in: the console, not a person
      showLogin();
      return;
    }
    loggedIn(me);
  } catch (e) {
    if (e.status === 401) {
      forget();
      showLogin();
      return;
    }
    setConn("offline");
    if (!app.me) { // nothing known yet: the form, saying why it cannot log in now
      show("login");
      $("#login-error").textContent = t("loginOffline");
    }
    app.timers.retry = setTimeout(checkSession, 5000);
  }
}

function loggedIn(me) {
  if (app.me && app.me.user !== me.user) forget(); // another person's state
  app.me = me;
  $("#whoami").textContent = `${me.name || me.user} · ${t("role." + me.role)} · ${(me.grids || []).map((g) => g.name || g.id).join("、")}`;
  show(location.hash.startsWith("#/a/") ? "detail" : "home");
  openStream();
  route();
}

function showLogin() {
  closeStream();
  $("#login-error").textContent = "";
  setConn("need-login");
  show("login");
  $("#login-user").focus();
}

async function login(ev) {
  ev.preventDefault();
  unlockAudio(); // a tap: the browser now lets the app make sound
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
  const err = $("#login-error");
  err.textContent = "";
  const user = $("#login-user").value.trim();
  const password = $("#login-password").value;
  if (!user || !password) {
    err.textContent = t("loginFailed");
    return;
  }
  $("#login-submit").disabled = true;
  try {
    const me = await api("POST", "/api/v1/session", { user, password });
    $("#login-password").value = "";
    loggedIn(me);
  } catch (e) {
    err.textContent = e.status === 401 ? t("loginFailed") : e.status === 429 ? t("loginThrottled") : e.status ? e.message : t("loginOffline");
  } finally {
    $("#login-submit").disabled = false;
  }
}

async function logout() {
  try { await api("DELETE", "/api/v1/session"); } catch { /* gone already */ }
  forget();
  location.hash = "";
  showLogin();
}

// ---- the live stream ----

function openStream() {
  closeStream();
  setConn("connecting");
  const es = new EventSource("/api/v1/stream");
  app.stream = es;
  es.addEventListener("hello", () => { setConn("live"); load(); });
  es.addEventListener("resync", () => load());
  es.addEventListener("alarm", (ev) => {
    try { alarmChanged(JSON.parse(ev.data), true); } catch { /* not one of ours */ }
  });
  es.addEventListener("emergency", (ev) => {
    try { emergencyChanged(JSON.parse(ev.data).emergencies); } catch { /* not one of ours */ }
  });
  es.addEventListener("bye", () => { closeStream(); setConn("connecting"); setTimeout(checkSession, 1000); });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) { // refused (401, 429): ask why
      closeStream();
      setConn("offline");
      app.timers.retry = setTimeout(checkSession, 3000);
    } else {
      setConn("offline"); // the browser reconnects by itself
    }
  };
  clearInterval(app.timers.notices);
  app.timers.notices = setInterval(loadNotices, 30000);
}

function closeStream() {
  if (app.stream) app.stream.close();
  app.stream = null;
  clearInterval(app.timers.notices);
}

// load fetches the lists afresh (on connecting, and when told to resync).
async function load() {
  try {
    const list = await api("GET", "/api/v1/alarms?state=open&limit=500");
    const seen = new Set();
    for (const a of list.alarms || []) {
      seen.add(a.id);
      alarmChanged(a, true, true);
    }
    for (const id of [...app.alarms.keys()]) if (!seen.has(id)) app.alarms.delete(id);
    save();
    render();
  } catch (e) {
    if (e.status === 401) return checkSession();
    setConn("offline");
  }
  loadNotices();
  loadEmergency();
}

// ---- emergency mode (扁平化) ----
//
// Every scope in emergency mode that touches the caller's cells, read at
// each (re)connect (GET /api/v1/emergency) and kept live by the stream's
// "emergency" events, which carry the same list. Grid names and who
// switched come from GET /api/v1/site, read once.

let emergencyGen = 0; // bumped by every live event: a read begun before one loses to it
let emergencyOn = []; // what the banner shows, to draw it again in another language
let names = null; // grid and staff id → name

function emergencyChanged(list) {
  emergencyGen++;
  renderEmergency(list);
}

async function loadEmergency() {
  const gen = emergencyGen;
  try {
    if (!names) {
      const site = await api("GET", "/api/v1/site");
      names = new Map([...(site.grids || []), ...(site.staff || [])].map((x) => [x.id, x.name || x.id]));
    }
    const list = await api("GET", "/api/v1/emergency");
    if (gen === emergencyGen) renderEmergency(list.emergencies);
  } catch { /* shown again at the next connect */ }
}

function renderEmergency(list) {
  emergencyOn = (list || []).filter((e) => e.on);
  const name = (id) => (names && names.get(id)) || id;
  $("#emergency-list").replaceChildren(...emergencyOn.map((e) => el("li", { "data-grid": e.grid },
    el("b", {}, e.grid ? name(e.grid) : t("wholeSite")), ` · ${t("emergencySince")} ${clock(e.at)} · ${t("emergencyBy")} ${name(e.by)}`)));
  $("#emergency").hidden = emergencyOn.length === 0;
}

async function loadNotices() {
  confirmMine();
  try {
    const bl = await api("GET", "/api/v1/broadcasts?limit=10");
    app.notices = (bl.broadcasts || []).map((b) => ({ id: b.id, text: b.text, grid: b.grid, by: b.by, created_ms: b.created_ms }));
    save();
    renderNotices();
  } catch { /* no broadcasts on this gateway, or offline */ }
}

// alarmChanged takes an alarm's new state: closed ones leave the list;
// pages to this person are confirmed, and a new one rings.
function alarmChanged(a, live, batch) {
  if (!a || !a.id) return;
  if (CLOSED.has(a.state)) {
    app.alarms.delete(a.id);
  } else {
    app.alarms.set(a.id, a);
    if (!app.places[a.id]) fetchPlace(a.id);
  }
  const rings = confirmPages(a, live);
  if (rings && !CLOSED.has(a.state)) ring(a);
  if (app.detail && app.detail.id === a.id) {
    app.detail = { ...app.detail, ...a, timeline: app.detail.timeline };
    refreshDetail(a.id);
  }
  if (!batch) {
    save();
    render();
  }
}

// confirmPages tells the gateway this app has every page of a that went
// to this person and is not yet delivered. It reports whether one of them
// is new here (it should ring).
function confirmPages(a, live) {
  if (!app.me || !Array.isArray(a.pages)) return false;
  let fresh = false;
  for (const p of a.pages) {
    if (p.staff !== app.me.user || app.confirmed.has(p.id)) continue;
    app.confirmed.add(p.id);
    if (p.state === "delivered") continue; // confirmed before (this app, or the person's MQTT phone)
    fresh = live;
    api("POST", `/api/v1/pages/${encodeURIComponent(p.id)}/received`).catch((e) => {
      if (!e.status || e.status >= 500) app.confirmed.delete(p.id); // try again with the next news
    });
  }
  return fresh;
}

const placesAsked = new Set(); // alarm ids whose place is being fetched

// confirmMine confirms every page to this person the gateway still
// holds as not delivered, broadcasts' too (the stream carries only
// alarms), and those of alarms whose news the app missed.
async function confirmMine() {
  try {
    const mine = await api("GET", "/api/v1/pages");
    for (const p of mine.pages || []) {
      if (p.staff !== app.me.user) continue;
      app.confirmed.add(p.page_id);
      api("POST", `/api/v1/pages/${encodeURIComponent(p.page_id)}/received`).catch((e) => {
        if (!e.status || e.status >= 500) app.confirmed.delete(p.page_id);
      });
    }
  } catch { /* no ledger here, or offline: the next poll tries again */ }
}

async function fetchPlace(id) {
  if (placesAsked.has(id)) return;
  placesAsked.add(id);
  try {
    app.places[id] = await api("GET", `/api/v1/places/${encodeURIComponent(id)}`);
    save();
    render();
    if (app.detail && app.detail.id === id) refreshDetail(id);
  } catch { /* shown without it; asked again with the next news */ } finally {
    placesAsked.delete(id);
  }
}

// ---- sound and vibration ----

function unlockAudio() {
  if (app.audio || !window.AudioContext) return;
  try { app.audio = new AudioContext(); } catch { app.audio = null; }
}

function ring(a) {
  app.fresh.add(a.id);
  if (navigator.vibrate) {
    try { navigator.vibrate([400, 150, 400, 150, 800]); } catch { /* not allowed */ }
  }
  if (app.sound && app.audio) {
    const ctx = app.audio;
    if (ctx.state === "suspended") ctx.resume().catch(() => {});
    const start = ctx.currentTime + 0.05;
    for (let i = 0; i < 6; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = i % 2 ? 660 : 988;
      gain.gain.value = 0.25;
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + i * 0.3);
      osc.stop(start + i * 0.3 + 0.25);
    }
  }
  if (document.hidden && "Notification" in window && Notification.permission === "granted" && navigator.serviceWorker) {
    navigator.serviceWorker.ready.then((reg) => reg.showNotification(`${t("sev." + a.severity)} · ${a.title}`, {
      body: placeLine(a), tag: a.id, renotify: true, requireInteraction: true, icon: "icon.svg",
    })).catch(() => {});
  }
}

// ---- rendering ----

function show(view) {
  document.body.dataset.view = view;
  $("#login").hidden = view !== "login";
  $("#home").hidden = view !== "home";
  $("#detail").hidden = view !== "detail";
  $("#back").hidden = view !== "detail";
  $("#tools").hidden = view === "login" || view === "detail";
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k);
  return e;
}

function sorted() {
  return [...app.alarms.values()].sort((a, b) =>
    (STATE_RANK[a.state] ?? 9) - (STATE_RANK[b.state] ?? 9) ||
    (SEV_RANK[a.severity] ?? 9) - (SEV_RANK[b.severity] ?? 9) ||
    b.raised_ms - a.raised_ms);
}

function placeLine(a) {
  const p = app.places[a.id];
  if (!p) return a.device;
  return [p.device_name || p.device, p.address].filter(Boolean).join(" · ");
}

function gridLine(a) {
  const p = app.places[a.id];
  if (!p || !p.grid_path || !p.grid_path.length) return a.grid;
  return p.grid_path.map((g) => g.name || g.id).join(" › ");
}

function render() {
  if (!app.me) return;
  const list = $("#alarms");
  const items = sorted().map((a) => el("li", {},
    el("article", {
      class: `alarm sev-${a.severity}${app.fresh.has(a.id) ? " new" : ""}`, "data-alarm-id": a.id, "data-state": a.state,
      "data-severity": a.severity, tabindex: "0", role: "link", onclick: (ev) => { if (!ev.target.closest("button")) openDetail(a.id); },
      onkeydown: (ev) => { if (ev.key === "Enter") openDetail(a.id); },
    },
    el("div", { class: "top" },
      el("span", { class: "badge sev" }, t("sev." + a.severity)),
      el("span", { class: `badge st-${a.state}` }, t("state." + a.state)),
      a.test ? el("span", { class: "badge" }, t("test")) : null,
      el("span", { class: "countdown", "data-countdown": a.id })),
    el("h3", {}, a.title || a.rule),
    el("p", { class: "place" }, placeLine(a)),
    el("p", { class: "grid" }, gridLine(a)),
    el("p", { class: "meta" }, `${clock(a.raised_ms)}${a.count > 1 ? " · " + t("count", { n: a.count }) : ""}`),
    a.state === "open" ? el("div", { class: "row" },
      el("button", { type: "button", class: "primary", "data-action": "ack", onclick: () => act(a.id, "ack") }, t("ack"))) : null)));
  list.replaceChildren(...items);
  $("#empty").hidden = items.length > 0;
  renderNotices();
  tick();
}

function renderNotices() {
  const box = $("#notices");
  const items = app.notices.slice(0, 5).map((n) => el("li", { class: "notice", "data-broadcast-id": n.id },
    el("p", {}, n.text),
    el("span", { class: "meta" }, `${t("notice")} · ${clock(n.created_ms)}`)));
  $("#notice-list").replaceChildren(...items);
  box.hidden = items.length === 0;
}

// tick updates every countdown once a second.
function tick() {
  const n = now();
  for (const e of document.querySelectorAll("[data-countdown]")) {
    const a = app.alarms.get(e.dataset.countdown) || (app.detail && app.detail.id === e.dataset.countdown ? app.detail : null);
    if (!a) continue;
    // Only an open alarm escalates; an acknowledged one keeps the time
    // its next step would have been due, but the step no longer comes.
    const due = a.state === "open" ? a.next_deadline_ms || 0 : 0;
    if (!due) {
      e.textContent = t("noEscalation");
      e.classList.remove("due");
      continue;
    }
    const left = Math.round((due - n) / 1000);
    e.textContent = left > 0 ? t("escalatesIn", { t: mmss(left) }) : t("escalateDue");
    e.classList.toggle("due", left <= 30);
  }
}

function mmss(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

function clock(ms) {
  if (!ms) return "—";
  const d = new Date(ms);
  const today = new Date(now()).toDateString() === d.toDateString();
  const hm = d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return today ? hm : `${d.toLocaleDateString(lang, { month: "numeric", day: "numeric" })} ${hm}`;
}

// ---- detail ----

function openDetail(id) {
  location.hash = `#/a/${encodeURIComponent(id)}`;
}

// route shows what the address says: #/a/ID is an alarm, else the list.
function route() {
  if (!app.me) return;
  const m = location.hash.match(/^#\/a\/(.+)$/);
  if (!m) {
    app.detail = null;
    show("home");
    render();
    return;
  }
  const id = decodeURIComponent(m[1]);
  app.fresh.delete(id);
  app.detail = app.alarms.get(id) ? { ...app.alarms.get(id) } : { id, state: "", pages: [] };
  $("#d-note").value = "";
  show("detail");
  refreshDetail(id);
  window.scrollTo(0, 0);
  api("GET", `/api/v1/alarms/${encodeURIComponent(id)}`).then((a) => {
    if (app.detail && app.detail.id === id) {
      app.detail = a;
      confirmPages(a, false);
      refreshDetail(id);
    }
  }).catch(() => {});
  if (!app.places[id]) fetchPlace(id);
}

function refreshDetail(id) {
  const a = app.detail;
  if (!a || a.id !== id) return;
  const sec = $("#detail");
  sec.dataset.alarmId = a.id;
  sec.dataset.state = a.state || "";
  $("#d-head").className = `sev-${a.severity || "blue"}`;
  $("#d-sev").textContent = a.severity ? `${t("sev." + a.severity)}${a.test ? " · " + t("test") : ""}` : "";
  $("#d-title").textContent = a.title || a.rule || a.id;
  $("#d-state").textContent = a.state ? t("state." + a.state) : "";
  const cd = $("#d-countdown");
  cd.dataset.countdown = a.id;

  const p = app.places[a.id] || {};
  const place = [
    [t("device"), p.device_name ? `${p.device_name}（${a.device}）` : a.device],
    [t("address"), p.address],
    [t("grid"), p.grid_path ? p.grid_path.map((g) => g.name || g.id).join(" › ") : a.grid],
    [t("raised"), clock(a.raised_ms)],
  ].filter(([, v]) => v);
  $("#d-place").replaceChildren(...place.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));

  const loc = p.location || a.location;
  const links = navLinks({ lat: loc && loc.lat, lon: loc && loc.lon, name: p.device_name || a.title, address: p.address || p.device_name },
    /iPhone|iPad|iPod/.test(navigator.userAgent));
  const names = { geo: t("mapGeo"), amap: t("mapAmap"), baidu: t("mapBaidu"), tencent: t("mapTencent") };
  const nav = $("#d-nav");
  nav.replaceChildren(...links.map((l) => el("a", { href: l.href, "data-map": l.id, rel: "noreferrer" }, names[l.id])));
  if (!loc) nav.prepend(el("span", { class: "meta" }, t("noLocation")));

  $("#d-pages").replaceChildren(...(a.pages || []).map((pg) => el("li", { "data-page-id": pg.id, "data-page-state": pg.state },
    `${pg.staff === (app.me && app.me.user) ? (app.me.name || pg.staff) : pg.staff} · ${t("step", { n: pg.step })} · `,
    el("span", { class: pg.state }, t(pg.state)), pg.delivered_ms ? ` ${clock(pg.delivered_ms)}` : "")));
  $("#d-timeline").replaceChildren(...(a.timeline || []).map((e) => el("li", {},
    `${clock(e.at)} ${t("kind." + e.kind)}${e.by ? " · " + e.by : ""}${e.staff ? " → " + e.staff.join("、") : ""}${e.note ? " · " + e.note : ""}`)));

  const closed = CLOSED.has(a.state);
  for (const b of document.querySelectorAll("#actions button")) {
    const k = b.dataset.action;
    b.disabled = !a.state || closed || (k === "ack" && a.state !== "open") || (k === "arrive" && a.state === "on_scene");
  }
  tick();
}

async function act(id, action) {
  unlockAudio();
  let note = "";
  if (app.detail && app.detail.id === id) note = $("#d-note").value.trim();
  if (action === "resolve" && !note) {
    toast(t("noteNeeded"));
    $("#d-note").focus();
    return;
  }
  const buttons = document.querySelectorAll(`[data-action="${action}"]`);
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const a = await api("POST", `/api/v1/alarms/${encodeURIComponent(id)}/${action}`, { note });
    app.fresh.delete(id);
    if (app.detail && app.detail.id === id) {
      app.detail = a;
      $("#d-note").value = "";
    }
    const { timeline, ...plain } = a;
    alarmChanged(plain, false);
    refreshDetail(id);
    toast(t("done"));
  } catch (e) {
    toast(t("actionFailed", { e: e.status ? e.message : t("offline") }));
    if (e.status === 401) checkSession();
  } finally {
    if (app.detail) refreshDetail(app.detail.id);
    render();
  }
}

function toast(msg) {
  const box = $("#toast");
  box.textContent = msg;
  box.hidden = false;
  clearTimeout(app.timers.toast);
  app.timers.toast = setTimeout(() => { box.hidden = true; }, 3000);
}

// ---- language, sound, service worker ----

function applyLang() {
  t = translator(lang);
  document.documentElement.lang = lang;
  document.title = t("app");
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  $("#d-note").placeholder = t("notePlaceholder");
  $("#lang").textContent = t("lang");
  $("#sound").textContent = app.sound ? t("soundOn") : t("soundOff");
  renderEmergency(emergencyOn);
  setConn(app.conn);
  if (app.me) {
    $("#whoami").textContent = `${app.me.name || app.me.user} · ${t("role." + app.me.role)} · ${(app.me.grids || []).map((g) => g.name || g.id).join("、")}`;
    render();
    if (app.detail) refreshDetail(app.detail.id);
  }
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => { /* not over plain HTTP off localhost */ });
}

$("#login-form").addEventListener("submit", login);
$("#logout").addEventListener("click", logout);
$("#back").addEventListener("click", () => { location.hash = ""; });
$("#lang").addEventListener("click", () => {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("gw.lang", lang);
  applyLang();
});
$("#sound").addEventListener("click", () => {
  app.sound = !app.sound;
  localStorage.setItem("gw.sound", app.sound ? "on" : "off");
  unlockAudio();
  applyLang();
});
for (const b of document.querySelectorAll("#actions button")) {
  b.addEventListener("click", () => { if (app.detail) act(app.detail.id, b.dataset.action); });
}
document.addEventListener("pointerdown", unlockAudio, { once: true }); // the first tap after a reload
window.addEventListener("hashchange", route);
window.addEventListener("online", checkSession);
start();
