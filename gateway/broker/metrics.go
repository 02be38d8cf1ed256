package broker

import (
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// collector exports the embedded broker's state as gridwatch_broker_*
// metrics, read from mochi's live counters at scrape time. Before the
// broker serves, and after it stopped, only gridwatch_broker_up (0) is
// exported.
type collector struct {
	b *Broker

	up, connected, sessions, subs, retained, inflight *prometheus.Desc
	msgsIn, msgsOut, msgsDropped, inflightDropped     *prometheus.Desc
	bytesIn, bytesOut                                 *prometheus.Desc
}

var _ prometheus.Collector = (*collector)(nil)

func newCollector(b *Broker) *collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("gridwatch_broker_"+name, help, nil, nil)
	}
	return &collector{
		b:         b,
		up:        d("up", "1 while the embedded MQTT broker serves."),
		connected: d("clients_connected", "Clients connected to the embedded broker now (the gateway's own inline client not counted)."),
		sessions: d("sessions_disconnected",
			"Persistent sessions (clean session off) kept for clients that are not connected now."),
		subs:     d("subscriptions", "Subscriptions active on the embedded broker."),
		retained: d("retained_messages", "Retained messages held by the embedded broker (its own $SYS topics included)."),
		inflight: d("inflight_messages", "QoS 1/2 messages sent to clients and not yet acknowledged."),
		msgsIn:   d("messages_received_total", "PUBLISH packets received from clients."),
		msgsOut:  d("messages_sent_total", "PUBLISH packets sent to clients."),
		msgsDropped: d("messages_dropped_total",
			"Messages dropped for a subscriber whose outbound queue was full."),
		inflightDropped: d("inflight_dropped_total", "Inflight messages dropped (expired or over a client's quota)."),
		bytesIn:         d("received_bytes_total", "Bytes received from clients."),
		bytesOut:        d("sent_bytes_total", "Bytes sent to clients."),
	}
}

// Describe sends every descriptor.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.connected, c.sessions, c.subs, c.retained, c.inflight,
		c.msgsIn, c.msgsOut, c.msgsDropped, c.inflightDropped, c.bytesIn, c.bytesOut} {
		ch <- d
	}
}

// Collect reads the broker's counters. mochi updates them atomically; the
// session count walks the client list (one pass, no I/O).
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	srv := c.b.serving()
	if srv == nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(max(v, 0)))
	}
	counter := func(d *prometheus.Desc, v *int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(max(atomic.LoadInt64(v), 0)))
	}
	connected, away := clientCounts(srv)
	gauge(c.connected, connected)
	gauge(c.sessions, away)
	gauge(c.subs, atomic.LoadInt64(&srv.Info.Subscriptions))
	gauge(c.retained, int64(srv.Topics.Retained.Len()))
	gauge(c.inflight, atomic.LoadInt64(&srv.Info.Inflight))
	counter(c.msgsIn, &srv.Info.MessagesReceived)
	counter(c.msgsOut, &srv.Info.MessagesSent)
	counter(c.msgsDropped, &srv.Info.MessagesDropped)
	counter(c.inflightDropped, &srv.Info.InflightDropped)
	counter(c.bytesIn, &srv.Info.BytesReceived)
	counter(c.bytesOut, &srv.Info.BytesSent)
}

// clientCounts counts the clients connected now and the persistent
// sessions kept for clients that are away, leaving out the inline client.
func clientCounts(srv *mqtt.Server) (connected, away int64) {
	for _, cl := range srv.Clients.GetAll() {
		switch {
		case cl.Net.Inline:
		case cl.Closed():
			away++
		default:
			connected++
		}
	}
	return connected, away
}

// metrics are the broker's own counters, next to mochi's read by collector.
type metrics struct {
	refused     *prometheus.CounterVec
	storeReset  prometheus.Counter
	storeErrors prometheus.Counter
}

// refusalReasons are the label values of gridwatch_broker_refused_total,
// exported from the start at 0.
var refusalReasons = []string{
	"bad_login", "bad_username", "busy", "will", "will_at_send", "takeover",
	"publish", "subscribe", "too_large", "connect_timeout", "bad_connect", "connecting_limit",
}

func newMetrics() *metrics {
	m := &metrics{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_broker_refused_total",
			Help: "Things the embedded broker refused, by reason: logins (bad_login, bad_username, busy), " +
				"last wills off the user's topics (will at CONNECT, will_at_send), client ids held by another user (takeover), " +
				"publishes and subscriptions outside the ACL, and connections closed before login " +
				"(too_large, connect_timeout, bad_connect, connecting_limit).",
		}, []string{"reason"}),
		storeReset: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_broker_store_reset_total",
			Help: "Times a damaged broker.db was set aside at start and the broker began with an empty session store.",
		}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_broker_store_write_errors_total",
			Help: "Commits to broker.db (sessions, subscriptions, retained and in-flight messages) that failed; they are retried.",
		}),
	}
	for _, r := range refusalReasons {
		m.refused.WithLabelValues(r)
	}
	return m
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.refused, m.storeReset, m.storeErrors} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) refuse(reason string) { m.refused.WithLabelValues(reason).Inc() }
