// The focus panel: one alarm in full — colour and title, the device and
// where it is, who was paged when and how far each page got, who
// acknowledged, the countdown to the next escalation step, the linked
// cameras, the timeline, and the actions with a note.
"use strict";

import { $, el, clock, countdown, duration, STATE_RANK } from "./dom.js";
import { t, getLang } from "./i18n.js";
import { commandForm } from "./command.js";

let shownId = null; // the alarm the panel shows, to keep a typed note
const fetching = new Set();
const failedAt = new Map(); // id → when its detail last failed to load

// detail is the alarm with its timeline, loaded when missing (and again
// whenever the stream says the alarm changed).
function detail(app, a) {
  const d = app.details.get(a.id);
  if (d && !app.stale.has(a.id)) return d;
  const failed = failedAt.get(a.id) || 0;
  if (!fetching.has(a.id) && Date.now() - failed > 10000) {
    app.stale.delete(a.id);
    fetching.add(a.id);
    setTimeout(() => {
      app.api("/api/v1/alarms/" + encodeURIComponent(a.id)).then((full) => {
        app.details.set(full.id, full);
        failedAt.delete(full.id);
        app.render();
      }, () => failedAt.set(a.id, Date.now())).finally(() => fetching.delete(a.id));
    }, 200);
  }
  return d || null; // the last one loaded, until the new one is in
}

function fact(label, ...value) {
  return [el("dt", {}, t(label)), el("dd", {}, ...value)];
}

// renderFocus shows alarm a (null: none open); auto says it is the most
// urgent rather than one the operator picked.
export function renderFocus(app, a, auto) {
  const panel = $("focus");
  panel.dataset.empty = a ? "false" : "true";
  $("focus-none").hidden = Boolean(a);
  $("focus-body").hidden = !a;
  $("focus-back").hidden = auto || !a;
  $("focus-mode").textContent = a ? "· " + t(auto ? "focus.auto" : "focus.pinned") : "";
  if (!a) {
    $("focus-actions").hidden = true;
    shownId = null;
    delete panel.dataset.alarmId;
    return;
  }
  if (shownId !== a.id) $("focus-note").value = "";
  shownId = a.id;
  const full = detail(app, a);
  const timeline = (full && full.timeline) || [];
  panel.dataset.alarmId = a.id;
  panel.dataset.severity = a.severity;
  panel.dataset.state = a.state;
  panel.dataset.muted = a.test ? "test" : a.muted ? "muted" : "";

  $("focus-sev").textContent = t("sev." + a.severity);
  const tags = [];
  if (a.test) tags.push(el("span", { class: "tag" }, t("tag.test")));
  else if (a.muted) tags.push(el("span", { class: "tag", title: a.muted }, t("tag.muted")));
  $("focus-title").replaceChildren(a.title || a.rule, ...tags);
  $("focus-state").replaceChildren(el("span", { class: "state-badge", "data-state": a.state }, t("state." + a.state)));

  const site = app.site.devices.get(a.device);
  const status = app.devices.get(a.device);
  const kind = (site && site.kind) || (status && status.kind);
  const who = (kinds) => timeline.filter((e) => kinds.includes(e.kind))
    .map((e) => app.staffName(e.by) + " " + clock(e.at) + (e.channel ? " · " + t("channel." + e.channel) : ""));
  const acked = who(["ack"]), arrived = who(["arrive"]);
  const rank = STATE_RANK[a.state] ?? 0;
  $("focus-facts").replaceChildren(
    ...fact("focus.device", el("b", {}, app.deviceLabel(a.device)), " ", el("small", {}, a.device + (kind ? " · " + t("kind." + kind) : ""))),
    ...(site && site.address ? fact("focus.address", site.address) : []),
    ...fact("focus.grid", el("span", { id: "focus-grid" }, app.gridPath(a.grid))),
    ...fact("focus.raised", clock(a.raised_ms) + " ", el("small", { class: "age", "data-since": a.raised_ms }, "")),
    ...fact("focus.count", String(a.count)),
    ...fact("focus.acked_by", el("span", { id: "focus-acked" },
      acked.length ? acked.join("; ") : rank > 0 ? "…" : t("focus.not_acked"))),
    ...(arrived.length ? fact("focus.arrived_by", arrived.join("; ")) : []));

  const due = a.next_deadline_ms || 0;
  const cd = $("focus-deadline");
  cd.dataset.deadline = due;
  $("focus-step").textContent = a.step >= 0 ? t("focus.step_sent").replace("%d", a.step + 1) : "";

  renderPages(app, a, timeline);
  renderCameras(app, a, site);
  const form = commandForm(app, "focus", a.device);
  const box = $("focus-command");
  box.hidden = !form;
  if (form && form.parentNode !== box) box.replaceChildren(form);
  const may = app.site.may.has("act");
  for (const b of document.querySelectorAll("#focus-actions button[data-focus-action]")) {
    const action = b.dataset.focusAction;
    b.disabled = !may || rank >= 3 || (action === "ack" && rank > 0) || (action === "arrive" && rank > 1);
  }
  $("focus-actions").hidden = !may;
  $("focus-timeline").replaceChildren(...timeline.slice().reverse().map((e) => entry(app, e)));
  tickFocus(app, Date.now());
}

function renderPages(app, a, timeline) {
  const pages = a.pages || [];
  const items = pages.map((p) => {
    const s = app.site.staff.get(p.staff);
    const failed = timeline.find((e) => e.kind === "page_failed" && e.by === p.staff && e.step === p.step);
    return el("li", { "data-page-state": p.state, "data-staff": p.staff },
      el("b", {}, app.staffName(p.staff)), s ? el("small", {}, " " + t("role." + s.role)) : "",
      el("span", { class: "page-meta" }, " · " + t("focus.step_n").replace("%d", p.step + 1) + " · " + t("channel." + p.channel) + " · " + clock(p.queued_ms)),
      el("span", { class: "page-state", "data-state": p.state }, t("page." + p.state) +
        (p.delivered_ms ? " " + clock(p.delivered_ms) : "")),
      failed && failed.note ? el("small", { class: "note" }, failed.note) : "");
  });
  if (!pages.length) { // alarms from before pages were recorded: who was notified
    for (const id of a.notified || []) items.push(el("li", { "data-staff": id }, el("b", {}, app.staffName(id))));
  }
  if (!items.length) items.push(el("li", { class: "dim" }, t("focus.nobody_paged")));
  $("focus-pages").replaceChildren(...items);
}

function renderCameras(app, a, site) {
  const cams = (site && site.cameras) || [];
  const items = cams.map((id) => {
    const st = app.devices.get(id);
    const tel = (st && st.telemetry) || {};
    const state = st ? st.state : "unknown";
    const video = tel.rtp_fps !== undefined ? " · " + tel.rtp_fps + " fps" + (tel.rtp_loss_pct ? " · " + tel.rtp_loss_pct + "%" : "") : "";
    return el("li", { "data-device-id": id, "data-state": state },
      el("b", {}, app.deviceLabel(id)), el("small", {}, " " + id + " · " + t("health." + state) + video));
  });
  const clips = a.clips || [];
  for (const c of clips) items.push(clipItem(app, a, c));
  if (a.clip && !clips.length) items.push(el("li", { class: "clip" }, t("focus.clip") + ": ", a.clip.startsWith("/") ? el("a", { href: a.clip, target: "_blank", rel: "noopener" }, a.clip) : a.clip));
  for (const k of clipNodes.keys()) if (!k.startsWith(a.id + "/")) clipNodes.delete(k);
  if (!items.length) items.push(el("li", { class: "dim" }, t("focus.no_cameras")));
  $("focus-cameras").replaceChildren(...items);
}

// clipNodes keeps each evidence clip's element while its state stays the
// same, so a render does not restart a video being watched.
const clipNodes = new Map(); // alarm/camera → { sig, node }

// clipItem is one camera's evidence of the alarm: the still of the press
// and the video (which opens at the press), or why there is none.
function clipItem(app, a, c) {
  const key = a.id + "/" + c.camera;
  const sig = [c.state, c.url, c.still || "", c.error || "", getLang()].join("|");
  const have = clipNodes.get(key);
  if (have && have.sig === sig) return have.node;
  const media = [];
  if (c.state === "ready") {
    if (c.still) {
      media.push(el("a", { href: c.still, target: "_blank", rel: "noopener", class: "clip-still" },
        el("img", { src: c.still, alt: t("clip.still") + " " + c.camera })));
    }
    const video = el("video", { controls: true, preload: "metadata", src: c.url, poster: c.still || undefined, "data-camera": c.camera });
    const at = (c.press_offset_ms || 0) / 1000;
    video.addEventListener("loadedmetadata", () => { if (at > 0 && video.currentTime === 0) video.currentTime = at; }, { once: true });
    media.push(video);
    media.push(el("small", { class: "clip-window" }, clock(c.start_ms) + "–" + clock(c.end_ms) + " · " +
      t("clip.press_at").replace("%s", String(Math.round(at))), " · ",
      el("a", { href: c.url, download: a.id + "-" + c.camera + ".mp4" }, t("clip.download"))));
  }
  const node = el("li", { class: "clip", "data-camera": c.camera, "data-clip-state": c.state },
    el("b", {}, app.deviceLabel(c.camera)), " ",
    el("span", { class: "clip-state", "data-state": c.state }, t("clip." + c.state)),
    c.error ? el("small", { class: "note" }, " " + c.error) : "",
    media.length ? el("div", { class: "clip-media" }, ...media) : "");
  clipNodes.set(key, { sig, node });
  return node;
}

function entry(app, e) {
  const bits = [];
  if (e.by) bits.push(app.staffName(e.by));
  if (e.staff && e.staff.length) bits.push(e.staff.map((s) => app.staffName(s)).join("、"));
  if (e.step || e.kind === "notified") bits.push(t("focus.step_n").replace("%d", (e.step || 0) + 1));
  if (e.channel) bits.push(t("channel." + e.channel));
  if (e.late) bits.push(t("entry.late"));
  return el("li", { "data-kind": e.kind },
    el("time", {}, clock(e.at)), el("b", {}, t("entry." + e.kind)), el("span", {}, bits.join(" · ")),
    e.note ? el("q", {}, e.note) : "");
}

// tickFocus moves the countdown and the age on.
export function tickFocus(app, now) {
  const cd = $("focus-deadline");
  const due = Number(cd.dataset.deadline || 0);
  const box = $("focus-countdown");
  if (due > 0) {
    box.dataset.state = due > now ? (due - now < 15000 ? "soon" : "running") : "overdue";
    cd.textContent = due > now ? countdown(due - now) : t("focus.overdue") + " " + duration(now - due);
  } else {
    box.dataset.state = "none";
    cd.textContent = t("focus.no_next");
  }
  for (const e of document.querySelectorAll("#focus-facts .age")) e.textContent = duration(now - Number(e.dataset.since));
}

// The panel's actions: acknowledge, arrive, resolve with the typed note.
export function initFocusActions(app) {
  for (const b of document.querySelectorAll("#focus-actions button[data-focus-action]")) {
    b.addEventListener("click", async () => {
      const id = $("focus").dataset.alarmId;
      if (!id) return;
      b.disabled = true;
      if (await app.act(id, b.dataset.focusAction, $("focus-note").value)) {
        $("focus-note").value = "";
        if (app.pinnedByNote) { app.pinned = null; app.pinnedByNote = false; }
      }
      app.render();
    });
  }
  $("focus-back").addEventListener("click", () => app.focusOn(null));
}
