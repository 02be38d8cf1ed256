// The site plan: an SVG drawn from the registry's coordinates alone (no
// map tiles, nothing fetched). Each grid cell is the padded outline of
// its devices, each device a marker; a device with an open alarm blinks
// in the alarm's colour. Clicking a marker focuses its alarm, or drills
// the device health into its cell.
"use strict";

import { el, urgency, pagesNobody } from "./dom.js";
import { t } from "./i18n.js";
import { lowBattery } from "./health.js";

const MARGIN = 100, STRIP = 60; // room for the cells' outlines and labels; the strip of unplaced devices
let W = 1000, H = 560; // the plan's size on screen, in CSS pixels
const SHAPE = { lightbox: "circle", camera: "square", reader: "diamond", io: "triangle" };

// hull is the convex hull of points (Andrew's monotone chain).
function hull(points) {
  const p = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [], upper = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

// around is the points of a rounded square of radius r about each point.
function around(points, r) {
  const out = [];
  for (const [x, y] of points) {
    for (let i = 0; i < 12; i++) {
      const a = (i / 12) * 2 * Math.PI;
      out.push([x + r * Math.cos(a), y + r * Math.sin(a)]);
    }
  }
  return out;
}

// project maps lat/lon to the plan's box, keeping the site's proportions.
function projector(located, bottom) {
  // A site with one device (or all in a line) still gets a box.
  const lats = located.map((d) => d.location.lat), lons = located.map((d) => d.location.lon);
  const minLat = Math.min(...lats), maxLat = Math.max(...lats), minLon = Math.min(...lons), maxLon = Math.max(...lons);
  const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((maxLon - minLon) * k, 1e-6), spanY = Math.max(maxLat - minLat, 1e-6);
  const s = Math.min((W - 2 * MARGIN) / spanX, (bottom - 2 * MARGIN) / spanY);
  const offX = (W - spanX * s) / 2, offY = (bottom - spanY * s) / 2;
  return (loc) => [offX + (loc.lon - minLon) * k * s, offY + (maxLat - loc.lat) * s];
}

function marker(kind, r) {
  switch (SHAPE[kind] || "circle") {
    case "square": return el("rect", { svg: true, class: "shape", x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 2 });
    case "diamond": return el("polygon", { svg: true, class: "shape", points: `0,${-r - 2} ${r + 2},0 0,${r + 2} ${-r - 2},0` });
    case "triangle": return el("polygon", { svg: true, class: "shape", points: `0,${-r - 2} ${r + 2},${r} ${-r - 2},${r}` });
  }
  return el("circle", { svg: true, class: "shape", r });
}

// renderPlan draws the plan; open are the open alarms (most urgent first),
// focus the alarm in focus.
export function renderPlan(app, open, focus) {
  const svg = document.getElementById("plan");
  if (svg.clientWidth > 100 && svg.clientHeight > 100) {
    W = svg.clientWidth;
    H = svg.clientHeight;
  }
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const devices = [...app.site.devices.values()];
  const located = devices.filter((d) => d.location);
  const unplaced = devices.filter((d) => !d.location);
  const bottom = unplaced.length ? H - STRIP : H;
  const byDevice = new Map(); // device → its most urgent open alarm
  for (const a of open.slice().sort(urgency)) if (!byDevice.has(a.device)) byDevice.set(a.device, a);

  const kids = [];
  const where = new Map(); // device id → [x, y]
  if (located.length) {
    const project = projector(located, bottom);
    for (const d of located) where.set(d.id, project(d.location));
    kids.push(...cells(app, located, where));
  } else if (app.me) { // logged out, there is nothing to say yet
    kids.push(el("text", { svg: true, class: "plan-empty", x: W / 2, y: bottom / 2, "text-anchor": "middle" }, t("plan.empty")));
  }
  if (unplaced.length) {
    kids.push(el("line", { svg: true, class: "strip", x1: 0, x2: W, y1: bottom, y2: bottom }),
      el("text", { svg: true, class: "strip-label", x: 8, y: bottom + 27 }, t("plan.unplaced")));
    const step = Math.min(60, (W - 140) / unplaced.length);
    unplaced.forEach((d, i) => where.set(d.id, [130 + i * step, bottom + 20]));
  }
  const labels = devices.length <= 60;
  const boxes = []; // labels placed so far: a label that would overlap one is left out
  const fits = (x, y, text) => {
    const w = text.length * 12 + 4, b = [x - w / 2, y - 12, x + w / 2, y + 2];
    if (boxes.some((o) => b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3])) return false;
    boxes.push(b);
    return true;
  };
  for (const d of devices) { // alarms' labels first
    if (!byDevice.has(d.id)) continue;
    const [x, y] = where.get(d.id);
    fits(x, y + 24, d.name || d.id);
  }
  const order = devices.slice().sort((x, y) => Number(byDevice.has(x.id)) - Number(byDevice.has(y.id))); // alarms on top
  for (const d of order) {
    const [x, y] = where.get(d.id);
    const a = byDevice.get(d.id);
    const st = app.devices.get(d.id);
    const attrs = { svg: true, class: "marker", transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
      "data-device-id": d.id, "data-kind": d.kind, "data-state": st ? st.state : "unknown", tabindex: 0 };
    const tel = (st && st.telemetry) || {};
    if (tel.mains === false || lowBattery(tel)) attrs["data-warn"] = "power"; // on battery, or the battery is low
    const g = el("g", attrs);
    if (a) {
      g.setAttribute("data-alarm", a.severity);
      g.setAttribute("data-alarm-state", a.state);
      // An alarm blinks until someone is on the scene; a test or muted one
      // is marked but does not blink.
      g.setAttribute("data-blink", String(!pagesNobody(a) && a.state !== "on_scene"));
      g.append(el("circle", { svg: true, class: "ring", r: 20 }));
    }
    if (focus && focus.device === d.id) g.setAttribute("data-focus", "true");
    g.append(marker(d.kind, 8));
    g.append(el("title", { svg: true }, (d.name || d.id) + " · " + d.id + " · " + t("kind." + d.kind) + (st ? " · " + t("health." + st.state) : "")));
    if (a || (labels && fits(x, y + 24, d.name || d.id))) g.append(el("text", { svg: true, class: "label", y: 24, "text-anchor": "middle" }, d.name || d.id));
    g.addEventListener("click", () => {
      if (a) { app.focusOn(a.id); return; }
      app.healthCell = d.grid;
      app.healthDevice = d.id;
      app.renderHealth();
    });
    kids.push(g);
  }
  svg.replaceChildren(...kids);
}

// cells outlines each grid cell around its devices (and those of the
// cells below it), the bigger cells first; a cell holding every located
// device (the community itself) is not drawn.
function cells(app, located, where) {
  const grids = [...app.site.grids.values()];
  const out = [];
  const drawn = [];
  for (const g of grids) {
    const inside = located.filter((d) => {
      const cell = app.site.grids.get(d.grid);
      return d.grid === g.id || (cell && cell.path.some((p) => p.id === g.id));
    });
    if (!inside.length || (inside.length === located.length && grids.length > 1 && located.length > 1)) continue;
    drawn.push([g, inside]);
  }
  drawn.sort((x, y) => x[0].level - y[0].level);
  const maxLevel = Math.max(...drawn.map(([g]) => g.level), 0);
  drawn.forEach(([g, inside], i) => {
    const pad = 30 + 12 * (maxLevel - g.level);
    const pts = hull(around(inside.map((d) => where.get(d.id)), pad));
    // A cell with drawn cells inside is labelled below, its inner cells above.
    const below = drawn.some(([o]) => o.parent === g.id);
    const at = pts.reduce((m, p) => (below ? p[1] > m[1] : p[1] < m[1]) ? p : m, pts[0]);
    out.push(el("polygon", { svg: true, class: "cell", "data-grid": g.id, "data-hue": i % 6,
      points: pts.map((p) => p[0].toFixed(1) + "," + p[1].toFixed(1)).join(" ") }),
    el("text", { svg: true, class: "cell-label", x: at[0].toFixed(1), y: (at[1] + (below ? 18 : -6)).toFixed(1), "text-anchor": "middle" }, g.name || g.id));
  });
  return out;
}
