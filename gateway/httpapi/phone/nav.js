// nav.js: navigation links to an alarm's place, for the map apps grid
// staff have. Registry coordinates are taken as WGS-84 (GPS); each link
// tells its app so, and the app converts to its own datum (GCJ-02, BD-09).
//
//   geo:LAT,LON?q=LAT,LON(NAME)          RFC 5870; Android offers every map app
//   amapuri://route/plan/?dlat=LAT&dlon=LON&dname=NAME&dev=1&t=2
//                                        Amap (高德) on Android; t=2 walking,
//                                        dev=1: the point is WGS-84
//   iosamap://path?sourceApplication=gridwatch&dlat=…&dlon=…&dname=…&dev=1&t=2
//                                        the same on iOS
//   baidumap://map/direction?destination=latlng:LAT,LON|name:NAME&coord_type=wgs84&mode=walking&src=gridwatch
//                                        Baidu (百度), Android and iOS
//   qqmap://map/marker?marker=coord:LAT,LON;title:NAME;addr:ADDR&coord_type=1&referer=gridwatch
//                                        Tencent (腾讯), Android and iOS; coord_type=1: GPS
//
// Without coordinates only the address is known: geo:0,0?q=ADDRESS and
// Baidu's direction by name (destination=NAME) are offered.

const enc = encodeURIComponent;

// navLinks returns [{id, href}] for a place {lat, lon, name, address}.
// ios picks Amap's iOS scheme.
export function navLinks(p, ios) {
  const label = p.name || p.address || "";
  if (p.lat === undefined || p.lon === undefined || p.lat === null || p.lon === null) {
    const q = p.address || p.name || "";
    if (!q) return [];
    return [
      { id: "geo", href: `geo:0,0?q=${enc(q)}` },
      { id: "baidu", href: `baidumap://map/direction?destination=${enc(q)}&mode=walking&src=gridwatch` },
    ];
  }
  const ll = `${p.lat},${p.lon}`;
  const amap = ios
    ? `iosamap://path?sourceApplication=gridwatch&dlat=${p.lat}&dlon=${p.lon}&dname=${enc(label)}&dev=1&t=2`
    : `amapuri://route/plan/?dlat=${p.lat}&dlon=${p.lon}&dname=${enc(label)}&dev=1&t=2`;
  return [
    { id: "geo", href: `geo:${ll}?q=${ll}(${enc(label)})` },
    { id: "amap", href: amap },
    { id: "baidu", href: `baidumap://map/direction?destination=latlng:${ll}|name:${enc(label)}&coord_type=wgs84&mode=walking&src=gridwatch` },
    { id: "tencent", href: `qqmap://map/marker?marker=coord:${ll};title:${enc(label)};addr:${enc(p.address || label)}&coord_type=1&referer=gridwatch` },
  ];
}
