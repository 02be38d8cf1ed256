// Small helpers shared by the wall screen's parts: building elements,
// durations and times of day, the alarm ordering.
"use strict";

export const $ = (id) => document.getElementById(id);

// el builds an element: attrs are properties, except class, data-*,
// aria-* and SVG attributes (svg: true), which are set as attributes.
export function el(tag, attrs, ...kids) {
  const svg = attrs && attrs.svg;
  const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "svg" || v === undefined || v === null) continue;
    if (k === "class") e.setAttribute("class", v);
    else if (svg || k.startsWith("data-") || k.startsWith("aria-") || k === "tabindex") e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

// duration is ms as 45s, 3m05s, 2h04m, 1d3h.
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
  return Math.floor(s / 86400) + "d" + Math.floor((s % 86400) / 3600) + "h";
}

// countdown is ms as m:ss (or h:mm:ss).
export function countdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
  return h > 0 ? h + ":" + String(m).padStart(2, "0") + ":" + sec : m + ":" + sec;
}

// clock is the local time of day of a Unix ms time, HH:MM:SS.
export function clock(ms) {
  if (!ms) return "—";
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

export const SEV_ORDER = { red: 0, orange: 1, yellow: 2, blue: 3 };
export const STATE_RANK = { open: 0, acknowledged: 1, on_scene: 2, resolved: 3, cleared: 3 };

export const isOpen = (a) => (STATE_RANK[a.state] ?? 0) < 3;
export const pagesNobody = (a) => Boolean(a.test || a.muted);

// urgency orders alarms: red before orange before yellow before blue;
// within a colour, alarms that page someone before muted or test ones,
// open before acknowledged before on scene, then the longest waiting.
export function urgency(x, y) {
  return (SEV_ORDER[x.severity] ?? 9) - (SEV_ORDER[y.severity] ?? 9) ||
    Number(pagesNobody(x)) - Number(pagesNobody(y)) ||
    (STATE_RANK[x.state] ?? 0) - (STATE_RANK[y.state] ?? 0) ||
    x.raised_ms - y.raised_ms ||
    (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}
