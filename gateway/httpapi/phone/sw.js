// sw.js: the phone app's service worker. It keeps the app's shell (its
// page, script, styles, manifest and icon) so the app opens without a
// network; the app itself keeps the last known alarms in localStorage.
// The shell is fetched from the gateway first (so a new gateway's app
// replaces the old one) and from the cache when the gateway cannot be
// reached. The API is never cached here: alarms are live or shown as the
// app's last known state, marked offline.
const CACHE = "gridwatch-m-1";
const SHELL = ["./", "phone.css", "phone.js", "i18n.js", "nav.js", "manifest.webmanifest", "icon.svg"];

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/m/")) {
    return; // the API and everything else: straight to the network
  }
  ev.respondWith(fetch(req).then((resp) => {
    if (resp.ok) {
      const copy = resp.clone();
      caches.open(CACHE).then((c) => c.put(req, copy));
    }
    return resp;
  }).catch(() => caches.match(req, { ignoreSearch: true }).then((hit) => hit || caches.match("./"))));
});

// A tap on a notification opens (or focuses) the app on that alarm.
self.addEventListener("notificationclick", (ev) => {
  ev.notification.close();
  const target = `./#/a/${encodeURIComponent(ev.notification.tag || "")}`;
  ev.waitUntil(self.clients.matchAll({ type: "window" }).then((wins) => {
    for (const w of wins) {
      if ("focus" in w) {
        w.navigate(target).catch(() => {});
        return w.focus();
      }
    }
    return self.clients.openWindow(target);
  }));
});
