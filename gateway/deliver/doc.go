// Package deliver gets escalation notifications to people: the page
// Ledger follows every page to a person until that person's client
// confirmed it (re-sending it, falling back to SMS after a deadline), and
// the channels other than (or after) MQTT — a signed webhook, an HTTP
// SMS/voice gateway — each sit behind a durable Outbox.
//
// # Pages
//
// A page counts as delivered only when the person's own client confirmed
// it: the MQTT PUBACK of their phone (the embedded broker reports it), the
// phone's receipt on its reply topic (any broker), or the SMS gateway's
// 2xx. The Ledger (pages.db) is the Notifier the escalation desk pages
// through; see Ledger.
//
// # Hand-off
//
// An Outbox is a Notifier: Notify returns once the notification is written
// to the outbox's bbolt file (committed and fsync'd). From there an owned
// worker (Run) sends it through the outbox's Channel, retrying transient
// failures with exponential backoff and jitter, until it is delivered
// (removed), fails permanently (dropped and counted) or grows older than
// MaxAge (dropped and counted). An Outbox opened on the same file after a
// restart resumes every pending delivery. Delivery is at least once: a
// crash between a successful send and its removal sends it again.
//
// # Webhook signature
//
// Every webhook POST carries
//
//	X-Gridwatch-Timestamp: <Unix seconds when this attempt was made>
//	X-Gridwatch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// The receiver recomputes the HMAC over the timestamp header, a full stop
// and the exact request body bytes, compares in constant time, and rejects
// a timestamp further than a few minutes from its own clock (a replay).
// VerifySignature does exactly that. Each retry is signed afresh.
//
// # Fallback
//
// The Ledger falls back from the app to SMS for one person when the app
// has not confirmed a page within FallbackAfter (at once when the
// embedded broker knows the app is not connected). An earlier Chain,
// which stopped at the first channel that took a page, is gone: a broker
// taking a publish is not a person getting it.
//
// # Metrics
//
//	gridwatch_deliveries_total{channel,outcome}  attempts: ok, error, timeout, permanent; and dropped, expired, corrupt
//	gridwatch_delivery_seconds{channel}          from queued in an outbox to delivered
//	gridwatch_outbox_pending{channel}            notifications waiting in an outbox
//	gridwatch_pages_total{channel,outcome}       pages: queued, delivered, resent, fallen_back, failed, duplicate, given_up, expired
//	gridwatch_pages_pending                      pages not yet confirmed by the person's client
//	gridwatch_page_delivery_seconds{channel}     from a page queued to its confirmation
package deliver
