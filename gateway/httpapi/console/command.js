// Device commands from the wall screen: a small form with the commands
// that make sense for a device's kind (a light box's strobe, its "go
// quiet", speech with a typed text, a short siren; a reader's unlock),
// sent to POST /api/v1/devices/{id}/commands with the session's CSRF
// token, and the device's answer beside it. It is offered only when the
// site's may list has "command". One form per place on the screen (the
// focus panel, the device picked in the health view), kept across
// re-renders so a typed text and the last answer stay.
"use strict";

import { el } from "./dom.js";
import { t } from "./i18n.js";

// COMMANDS are the commands offered per device kind.
const COMMANDS = {
  lightbox: [
    { key: "cmd.strobe", cmd: "strobe", args: { seconds: 5 } },
    { key: "cmd.silence", cmd: "silence", args: {} },
    { key: "cmd.speak", cmd: "speak", text: true },
    { key: "cmd.siren", cmd: "siren", args: { seconds: 3 } },
  ],
  reader: [{ key: "cmd.unlock", cmd: "unlock", args: { seconds: 5 } }],
};

const forms = new Map(); // place → the form and its state

// commandForm is the command form of place for device, or null when the
// caller may not command it or its kind takes none of these commands.
export function commandForm(app, place, device) {
  if (!device || !app.site.may.has("command")) return null;
  const site = app.site.devices.get(device);
  const status = app.devices.get(device);
  const list = COMMANDS[(site && site.kind) || (status && status.kind)];
  if (!list) return null;
  let f = forms.get(place);
  if (!f) {
    f = build(app, place);
    forms.set(place, f);
  }
  if (f.device !== device || f.list !== list) {
    f.device = device;
    f.list = list;
    f.select.replaceChildren(...list.map((c, i) => el("option", { value: String(i), "data-cmd": c.cmd })));
    f.text.value = "";
    result(f, "", "");
  }
  f.root.dataset.deviceId = device;
  f.list.forEach((c, i) => { f.select.options[i].textContent = t(c.key); });
  f.title.textContent = t("cmd.title");
  f.send.textContent = t("cmd.send");
  f.text.placeholder = t("cmd.text_placeholder");
  f.text.hidden = !list[f.select.selectedIndex].text;
  return f.root;
}

function build(app, place) {
  const f = {};
  f.title = el("h3", {});
  f.select = el("select", { class: "cmd-name", "aria-label": "command" });
  f.text = el("input", { class: "cmd-text", maxLength: 200, spellcheck: false });
  f.send = el("button", { type: "button", class: "cmd-send" });
  f.result = el("p", { class: "cmd-result", role: "status" });
  f.root = el("div", { class: "cmd-form", "data-place": place },
    f.title, el("div", { class: "cmd-row" }, f.select, f.text, f.send), f.result);
  f.select.addEventListener("change", () => { f.text.hidden = !f.list[f.select.selectedIndex].text; });
  f.send.addEventListener("click", () => send(app, f));
  f.text.addEventListener("keydown", (e) => { if (e.key === "Enter") send(app, f); });
  return f;
}

function result(f, outcome, text) {
  f.result.dataset.outcome = outcome;
  f.result.textContent = text;
}

// send posts the chosen command and shows how the device answered: done,
// refused (with its reason), no answer in time, or why it was not sent.
async function send(app, f) {
  const c = f.list[f.select.selectedIndex];
  const device = f.device;
  const args = c.text ? { text: f.text.value.trim() } : c.args;
  if (c.text && !args.text) {
    result(f, "error", t("cmd.need_text"));
    return;
  }
  const label = t(c.key) + " → " + app.deviceLabel(device);
  f.send.disabled = true;
  result(f, "sending", label + " · " + t("cmd.sending"));
  let code = 0, body = null;
  try {
    const headers = { "Content-Type": "application/json" };
    if (app.me && app.me.csrf_token) headers["X-CSRF-Token"] = app.me.csrf_token;
    const res = await fetch("/api/v1/devices/" + encodeURIComponent(device) + "/commands", {
      method: "POST", headers, credentials: "same-origin", body: JSON.stringify({ cmd: c.cmd, args }),
    });
    code = res.status;
    try { body = await res.json(); } catch (e) { body = null; }
  } catch (e) {
    body = { error: e.message };
  } finally {
    f.send.disabled = false;
  }
  if (f.device !== device) return; // the form moved on to another device meanwhile
  const outcome = (body && body.outcome) || "error";
  const why = body && body.error ? ": " + body.error : "";
  if (outcome === "ok") {
    result(f, "ok", label + " · " + t("cmd.ok") + (body.latency_ms ? " (" + body.latency_ms + " ms)" : ""));
  } else if (outcome === "failed") {
    result(f, "failed", label + " · " + t("cmd.failed") + why);
  } else if (outcome === "timeout") {
    result(f, "timeout", label + " · " + t("cmd.timeout"));
  } else {
    result(f, "error", label + " · " + t("cmd.error") + (code ? " " + code : "") + why);
  }
  if (code === 401) app.api("/api/v1/session").catch(() => {}); // shows the login form
}
