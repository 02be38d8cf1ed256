package county

import (
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// maxRefetch bounds the sites asked for again in one round.
const maxRefetch = 100

// refetch asks the cluster again for the retained alarms of the sites
// whose latest summary lists open alarms the view does not hold: a
// subscription made while the cluster elected leaders may have been
// acknowledged without them. It subscribes to each such site's own
// alarm/+ filter, which makes the cluster send that site's retained
// alarms (the county-wide filter stays and takes the live messages: paho
// hands a message to every route it matches, so this one passes on only
// the retained); the filters of the previous round are
// unsubscribed first, so a site still missing some gets them sent anew.
// It runs on Run's goroutine; extra is the filters it holds.
func (v *View) refetch(extra map[string]bool) {
	sites, missing := v.state.Missing()
	v.m.missing.Set(float64(missing))
	if len(extra) > 0 {
		old := make([]string, 0, len(extra))
		for f := range extra {
			old = append(old, f)
		}
		clear(extra)
		if tok := v.client.Unsubscribe(old...); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			v.log.Warn("county: unsubscribe of the sites' alarm filters failed", "filters", len(old), "err", tok.Error())
		}
	}
	if len(sites) == 0 {
		return
	}
	sites = sites[:min(len(sites), maxRefetch)]
	filters := make(map[string]byte, len(sites))
	for _, site := range sites {
		filters[countywire.Topics{County: v.cfg.County, Site: site}.Alarm("+")] = 1
	}
	tok := v.client.SubscribeMultiple(filters, v.routeRetained)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		v.log.Warn("county: asking again for the sites' retained alarms failed; trying again", "sites", len(sites), "err", tok.Error())
		return
	}
	for f := range filters {
		extra[f] = true
	}
	v.m.refetched.Add(float64(len(sites)))
	v.log.Info("county: asked again for the retained alarms their summaries list and the view lacks",
		"sites", len(sites), "alarms", missing)
}

// routeRetained is the route of refetch's filters: only the retained
// messages they bring; the county-wide route has every other.
func (v *View) routeRetained(c paho.Client, m paho.Message) {
	if m.Retained() {
		v.route(c, m)
	}
}
