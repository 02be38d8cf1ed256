// gridwatch security-room console: open alarms and device health, live.
// It follows /api/v1/stream; on "hello" and "resync" it (re)loads the lists,
// holding back stream events until the lists are in, then replays them on
// top (older states never overwrite newer ones). It asks /api/v1/session
// who is logged in and shows a login form when nobody is.
"use strict";

(function () {
  let me = null; // GET /api/v1/session: who is logged in, and the CSRF token
  const MAX_DEVICE_ROWS = 1000;

  const SEVERITY = { red: "红", orange: "橙", yellow: "黄", blue: "蓝" };
  const ALARM_STATE = {
    open: "未确认", acknowledged: "已确认", on_scene: "已到场", resolved: "已处置", cleared: "已恢复",
  };
  const STATE_RANK = { open: 0, acknowledged: 1, on_scene: 2, resolved: 3, cleared: 3 };
  const DEVICE_STATE = { online: "在线", offline: "离线", unknown: "未知", unregistered: "未登记" };
  const KIND = { lightbox: "报警灯箱", camera: "摄像机", reader: "门禁", io: "I/O模块" };
  const ACTIONS = [
    ["ack", "确认", "Ack"],
    ["arrive", "到场", "Arrive"],
    ["resolve", "处置完毕", "Resolve"],
  ];

  const $ = (id) => document.getElementById(id);
  const alarms = new Map(); // id → alarm (closed ones kept as tombstones)
  const devices = new Map(); // id → status
  let loading = null; // events held back while the lists load
  let loadRunning = false, loadAgain = false;
  let stream = null; // {close()} of the current stream
  let devicesDirty = false;

  // ---- small DOM helpers ----
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  const bilingual = (zh, en) => [zh + " ", el("small", {}, en)];

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
    return Math.floor(s / 86400) + "d" + Math.floor((s % 86400) / 3600) + "h";
  }

  function showError(msg) {
    const box = $("error");
    box.textContent = msg || "";
    box.hidden = !msg;
  }

  function setConn(state) {
    const labels = {
      connecting: ["连接中", "connecting"], live: ["实时", "live"],
      reconnecting: ["重连中", "reconnecting"], "need-login": ["请登录", "log in"],
    };
    const c = $("conn");
    c.dataset.state = state;
    c.replaceChildren(...bilingual(...labels[state]));
  }

  // ---- API ----
  // The browser's session cookie goes with every request; a state change
  // carries the session's CSRF token too.
  async function api(path, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers);
    if (me && me.csrf_token && opts.method && opts.method !== "GET") headers["X-CSRF-Token"] = me.csrf_token;
    const res = await fetch(path, Object.assign({}, opts, { headers, credentials: "same-origin" }));
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      if (res.status === 401) needLogin();
      throw new Error((body && body.error) || res.status + " " + res.statusText);
    }
    return body;
  }

  async function load() {
    if (loadRunning) { loadAgain = true; return; }
    loadRunning = true;
    loading = loading || [];
    try {
      const [a, d] = await Promise.all([api("/api/v1/alarms?state=open"), api("/api/v1/devices")]);
      alarms.clear();
      for (const x of a.alarms) alarms.set(x.id, x);
      devices.clear();
      for (const x of d.devices) devices.set(x.id, x);
      showError("");
    } catch (e) {
      showError("加载失败 load failed: " + e.message);
    } finally {
      const held = loading;
      loading = null;
      for (const [name, data] of held) apply(name, data);
      renderAlarms();
      renderDevices();
      loadRunning = false;
      if (loadAgain) { loadAgain = false; load(); }
    }
  }

  async function act(id, action) {
    const note = window.prompt("备注 Note (" + action + " " + id + ")", "");
    if (note === null) return;
    try {
      const a = await api("/api/v1/alarms/" + encodeURIComponent(id) + "/" + action, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ note }),
      });
      mergeAlarm(a);
      renderAlarms();
      showError("");
    } catch (e) {
      showError(action + " " + id + ": " + e.message);
    }
  }

  // ---- merging: never let an older state overwrite a newer one ----
  function newerAlarm(a, cur) {
    if (!cur) return true;
    const ra = STATE_RANK[a.state] ?? 0, rc = STATE_RANK[cur.state] ?? 0;
    if (ra !== rc) return ra > rc;
    if (a.count !== cur.count) return a.count > cur.count;
    return a.step >= cur.step;
  }
  function mergeAlarm(a) {
    if (newerAlarm(a, alarms.get(a.id))) alarms.set(a.id, a);
  }
  function mergeDevice(d) {
    const cur = devices.get(d.id);
    if (!cur || d.registered !== cur.registered || d.version >= cur.version) devices.set(d.id, d);
  }

  function apply(name, data) {
    if (name === "alarm") { mergeAlarm(data); renderAlarms(); }
    if (name === "device") { mergeDevice(data); devicesDirty = true; }
  }

  function onEvent(name, raw) {
    if (name === "hello" || name === "resync") { load(); return; }
    if (name === "bye") { setConn("reconnecting"); return; }
    if (name !== "alarm" && name !== "device") return;
    let data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    if (loading) loading.push([name, data]);
    else apply(name, data);
  }

  // ---- rendering ----
  function renderAlarms() {
    const now = Date.now();
    const open = [...alarms.values()].filter((a) => (STATE_RANK[a.state] ?? 0) < 3);
    for (const [id, a] of alarms) { // forget tombstones after 10 minutes
      if ((STATE_RANK[a.state] ?? 0) >= 3 && now - (a.closed_ms || 0) > 600000) alarms.delete(id);
    }
    const sevOrder = { red: 0, orange: 1, yellow: 2, blue: 3 };
    open.sort((x, y) => (sevOrder[x.severity] ?? 9) - (sevOrder[y.severity] ?? 9) || y.raised_ms - x.raised_ms);
    $("alarm-rows").replaceChildren(...open.map(alarmRow));
    $("alarm-count").textContent = open.length;
    $("alarm-count").dataset.count = open.length;
    $("alarms-empty").hidden = open.length > 0;
    tick();
  }

  function alarmRow(a) {
    const rank = STATE_RANK[a.state] ?? 0;
    const buttons = ACTIONS.map(([action, zh, en]) => {
      const b = el("button", { type: "button", "data-action": action }, ...bilingual(zh, en));
      b.disabled = (action === "ack" && rank > 0) || (action === "arrive" && rank > 1);
      b.addEventListener("click", () => act(a.id, action));
      return b;
    });
    // A test press (installer's test mode) or a muted alarm pages nobody:
    // it is shown, tagged and dimmed, but does not blink.
    const attrs = { "data-alarm-id": a.id, "data-severity": a.severity, "data-state": a.state };
    const tags = [];
    if (a.test) {
      attrs["data-muted"] = "test";
      tags.push(el("span", { class: "tag", title: a.muted || "" }, ...bilingual("测试", "test")));
    } else if (a.muted) {
      attrs["data-muted"] = "muted";
      tags.push(el("span", { class: "tag", title: a.muted }, ...bilingual("静默", "muted")));
    }
    return el("tr", attrs,
      el("td", { class: "sev" }, ...bilingual(SEVERITY[a.severity] || a.severity, a.severity)),
      el("td", { class: "title" }, a.title || a.rule, ...tags, el("br"), el("small", {}, a.id)),
      el("td", { class: "device" }, a.device),
      el("td", { class: "grid" }, a.grid),
      el("td", { class: "state" }, ...bilingual(ALARM_STATE[a.state] || a.state, a.state)),
      el("td", { class: "count num" }, a.count),
      el("td", { class: "age num", "data-since": a.raised_ms }, ""),
      el("td", { class: "deadline num", "data-deadline": a.next_deadline_ms || 0 }, ""),
      el("td", { class: "actions" }, ...buttons));
  }

  function tick() {
    const now = Date.now();
    for (const td of document.querySelectorAll("#alarm-rows td.age")) {
      td.textContent = duration(now - Number(td.dataset.since));
    }
    for (const td of document.querySelectorAll("#alarm-rows td.deadline")) {
      const due = Number(td.dataset.deadline);
      td.classList.toggle("overdue", due > 0 && due <= now);
      td.textContent = due > 0 ? (due > now ? duration(due - now) : "已超时 overdue") : "—";
    }
  }

  function telemetryText(t) {
    if (!t) return "";
    return Object.keys(t).sort().map((k) => k + "=" + t[k]).join(" ");
  }

  function renderDevices() {
    devicesDirty = false;
    const counts = { online: 0, offline: 0, unknown: 0, unregistered: 0 };
    for (const d of devices.values()) counts[d.state] = (counts[d.state] || 0) + 1;
    for (const k of Object.keys(counts)) { const b = $("count-" + k); if (b) b.textContent = counts[k]; }

    const filter = $("device-filter").value;
    const q = $("device-search").value.trim().toLowerCase();
    const now = Date.now();
    const rows = [];
    let matched = 0;
    const ids = [...devices.keys()].sort();
    for (const id of ids) {
      const d = devices.get(id);
      if (filter === "problems" ? d.state === "online" : filter && d.state !== filter) continue;
      if (q && !(d.id + " " + (d.name || "") + " " + (d.grid || "")).toLowerCase().includes(q)) continue;
      matched++;
      if (rows.length >= MAX_DEVICE_ROWS) continue;
      rows.push(el("tr", { "data-device-id": d.id, "data-state": d.state },
        el("td", { class: "id" }, d.id),
        el("td", { class: "name" }, d.name || ""),
        el("td", { class: "kind" }, d.kind ? (KIND[d.kind] || d.kind) + " " : "", el("small", {}, d.kind || "")),
        el("td", { class: "grid" }, d.grid || ""),
        el("td", { class: "state" }, ...bilingual(DEVICE_STATE[d.state] || d.state, d.state)),
        el("td", { class: "seen num", "data-last-seen": d.last_seen_ms }, d.last_seen_ms ? duration(now - d.last_seen_ms) + " 前 ago" : "—"),
        el("td", { class: "tel" }, d.topic ? "topic " + d.topic : telemetryText(d.telemetry)),
        el("td", { class: "rejected num" }, d.rejected || 0)));
    }
    $("device-rows").replaceChildren(...rows);
    $("device-shown").textContent = matched > rows.length
      ? "显示 " + rows.length + " / " + matched + " shown" : matched + " 台 devices";
  }

  // ---- the stream ----
  // The browser's EventSource sends the session cookie. When it fails, the
  // session is checked: gone, the login form is shown; else it retries.
  function connect() {
    if (stream) stream.close();
    stream = null;
    if (!me) return;
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
    for (const name of ["hello", "alarm", "device", "resync", "bye"]) {
      es.addEventListener(name, (e) => onEvent(name, e.data));
    }
    stream = es;
  }

  // ---- login ----
  function loggedIn(who) {
    me = who;
    $("login").hidden = true;
    $("whoami").hidden = false;
    const where = who.whole_site ? "全辖区 whole site" : who.grids.map((g) => g.name || g.id).join(", ");
    $("whoami").textContent = (who.name || who.user) + " · " + who.role + " · " + where;
    $("logout").hidden = who.auth !== "session";
    connect();
  }

  function needLogin() {
    if (stream) stream.close();
    stream = null;
    me = null;
    alarms.clear();
    devices.clear();
    renderAlarms();
    renderDevices();
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
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: $("login-user").value.trim(), password: $("login-password").value }),
      });
      $("login-password").value = "";
      showError("");
      loggedIn(who);
    } catch (err) {
      showError("登录失败 login failed: " + err.message);
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

  // ---- start ----
  $("device-filter").addEventListener("change", () => { devicesDirty = true; });
  $("device-search").addEventListener("input", () => { devicesDirty = true; });
  setInterval(() => { tick(); if (devicesDirty) renderDevices(); }, 1000);
  api("/api/v1/session").then(loggedIn, () => needLogin());
})();
