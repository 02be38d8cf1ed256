package uplink

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Bucket names of the outbox file.
var (
	bucketRecords = []byte("records") // seq (8 bytes, big endian) → Record JSON, unsent
	bucketMeta    = []byte("meta")    // "seq" → the last seq given out
	bucketAlarms  = []byte("alarms")  // alarm id → the alarm's latest Alarm record (1 byte closed, JSON)
	keySeq        = []byte("seq")
)

// closedKeep is how long the latest record of a closed alarm is kept, so
// that a late change to it (a page delivered after the resolve) is told
// apart from a first sight.
const closedKeep = 7 * 24 * time.Hour

// outbox is the uplink's durable queue: records are appended (their Seq
// and ID given out in the same transaction) before they count as queued,
// and deleted only once the county's broker acknowledged them. It also
// keeps the latest record of every alarm, for the retained state the
// county must end up with after a restart.
type outbox struct {
	db       *bolt.DB
	path     string
	site     string
	maxBytes int64

	mu     sync.Mutex
	count  int
	bytes  int64
	oldest int64 // AtMS of the oldest unsent record; 0 when none
}

// stored is an unsent record as read back.
type stored struct {
	Seq  uint64
	Data []byte
	Rec  countywire.Record
}

// latest is an alarm's latest record.
type latest struct {
	Closed bool
	Data   []byte
	Rec    countywire.Record
}

func openOutbox(path, site string, maxBytes int64, now time.Time) (*outbox, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("uplink outbox %s: %w", path, err)
	}
	o := &outbox{db: db, path: path, site: site, maxBytes: maxBytes}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRecords, bucketMeta, bucketAlarms, bucketReplies, bucketReplyOrder} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		// Forget closed alarms long gone.
		al := tx.Bucket(bucketAlarms)
		var old [][]byte
		cutoff := now.Add(-closedKeep).UnixMilli()
		if err := al.ForEach(func(k, v []byte) error {
			if l, err := decodeLatest(v); err != nil || l.Closed && l.Rec.AtMS < cutoff {
				old = append(old, k)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range old {
			if err := al.Delete(k); err != nil {
				return err
			}
		}
		if err := pruneReplies(tx, now, remembered); err != nil {
			return err
		}
		return o.recount(tx)
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("uplink outbox %s: %w", path, err)
	}
	return o, nil
}

func (o *outbox) close() error { return o.db.Close() }

// recount sets the backlog figures from the records bucket.
func (o *outbox) recount(tx *bolt.Tx) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.count, o.bytes, o.oldest = 0, 0, 0
	c := tx.Bucket(bucketRecords).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if o.count == 0 {
			var r countywire.Record
			if err := json.Unmarshal(v, &r); err == nil {
				o.oldest = r.AtMS
			}
		}
		o.count++
		o.bytes += int64(len(v))
	}
	return nil
}

func (o *outbox) totals() (int, int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count, o.bytes
}

// setTotals sets the backlog figures after a change in tx (the oldest
// record's time read from it). A failed tx is followed by a recount.
func (o *outbox) setTotals(tx *bolt.Tx, count int, total int64) {
	var oldest int64
	if _, v := tx.Bucket(bucketRecords).Cursor().First(); v != nil {
		var r struct {
			AtMS int64 `json:"at_ms"`
		}
		if json.Unmarshal(v, &r) == nil {
			oldest = r.AtMS
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.count, o.bytes, o.oldest = count, total, oldest
}

// backlog is the unsent records, their bytes and the oldest one's AtMS.
func (o *outbox) backlog() (int, int64, int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count, o.bytes, o.oldest
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// appendRecords appends recs (appendQueued) and returns how many records
// were shed.
func (o *outbox) appendRecords(recs []countywire.Record) (shed int, err error) {
	q := make([]queued, len(recs))
	for i, r := range recs {
		q[i].rec = r
	}
	_, shed, err = o.appendQueued(q)
	return shed, err
}

// appendQueued gives each record its Seq and ID and stores them all in
// one transaction, then sheds the oldest summaries (then presence
// changes) while the outbox is over its bound; alarm records are never
// shed. A late change becomes its records there (lateRecords). It
// returns how many records were written and how many shed.
func (o *outbox) appendQueued(items []queued) (written, shed int, err error) {
	err = o.db.Update(func(tx *bolt.Tx) error {
		rb, meta, al := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta), tx.Bucket(bucketAlarms)
		var seq uint64
		if v := meta.Get(keySeq); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		count, total := o.totals()
		written = 0
		for _, it := range items {
			recs := []countywire.Record{it.rec}
			if it.late != nil {
				recs = lateRecords(al, it)
			}
			for i := range recs {
				seq++
				written++
				r := &recs[i]
				r.Seq, r.ID, r.Site = seq, countywire.MakeID(o.site, seq), o.site
				data, err := json.Marshal(r)
				if err != nil {
					return fmt.Errorf("record %d: %w", seq, err)
				}
				if err := rb.Put(seqKey(seq), data); err != nil {
					return err
				}
				count, total = count+1, total+int64(len(data))
				if r.Kind == countywire.KindAlarm && r.Alarm != nil {
					id, closed, err := r.Alarm.AlarmRef()
					if err != nil {
						return fmt.Errorf("record %d: %w", seq, err)
					}
					if err := al.Put([]byte(id), encodeLatest(closed, data)); err != nil {
						return err
					}
				}
			}
		}
		if err := meta.Put(keySeq, seqKey(seq)); err != nil {
			return err
		}
		var freed int64
		var err error
		if shed, freed, err = o.shed(tx, total); err != nil {
			return err
		}
		o.setTotals(tx, count-shed, total-freed)
		return nil
	})
	if err != nil {
		_ = o.db.View(o.recount) // the figures set in the failed transaction
		return 0, 0, fmt.Errorf("uplink outbox %s: append: %w", o.path, err)
	}
	return written, shed, nil
}

// lateRecords are the records of a late change to a closed alarm (see
// queued.late): one per step beyond what the alarm's latest record in al
// told the county, as Steps derives them; every step when al has no
// readable record of it (an alarm never seen, or forgotten after
// closedKeep).
func lateRecords(al *bolt.Bucket, it queued) []countywire.Record {
	n, same := -1, false
	if v := al.Get([]byte(it.closes)); v != nil { // a late change is of a closed alarm: closes is its id
		var prev alarm.Alarm
		if l, err := decodeLatest(v); err == nil && l.Rec.Alarm != nil && json.Unmarshal(l.Rec.Alarm.State, &prev) == nil {
			n, same = len(prev.Timeline), bytes.Equal(l.Rec.Alarm.State, it.rec.Alarm.State)
		}
	}
	var out []countywire.Record
	for _, step := range stepsOf(n, it.late, same) {
		r, a := it.rec, *it.rec.Alarm
		a.Step = step
		r.Alarm = &a
		out = append(out, r)
	}
	return out
}

// shed deletes the oldest summaries, then the oldest presence changes,
// while the records (total bytes) are over maxBytes. It returns how many
// it deleted and their bytes.
func (o *outbox) shed(tx *bolt.Tx, total int64) (int, int64, error) {
	if o.maxBytes <= 0 || total <= o.maxBytes {
		return 0, 0, nil
	}
	rb := tx.Bucket(bucketRecords)
	start := total
	n := 0
	for _, kind := range []string{countywire.KindSummary, countywire.KindPresence} {
		if total <= o.maxBytes {
			break
		}
		var drop [][]byte
		c := rb.Cursor()
		for k, v := c.First(); k != nil && total > o.maxBytes; k, v = c.Next() {
			var r struct {
				Kind string `json:"kind"`
			}
			if json.Unmarshal(v, &r) == nil && r.Kind == kind {
				drop = append(drop, k)
				total -= int64(len(v))
			}
		}
		for _, k := range drop {
			if err := rb.Delete(k); err != nil {
				return n, 0, err
			}
			n++
		}
	}
	return n, start - total, nil
}

// next returns up to n unsent records, oldest first.
func (o *outbox) next(n int) ([]stored, error) {
	var out []stored
	err := o.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		for k, v := c.First(); k != nil && len(out) < n; k, v = c.Next() {
			s := stored{Seq: binary.BigEndian.Uint64(k), Data: append([]byte(nil), v...)}
			if err := json.Unmarshal(v, &s.Rec); err != nil {
				return fmt.Errorf("record %d: %w", s.Seq, err)
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("uplink outbox %s: read: %w", o.path, err)
	}
	return out, nil
}

// sent deletes every record up to seq: the broker acknowledged them.
func (o *outbox) sent(seq uint64) error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketRecords)
		count, total := o.totals()
		c := rb.Cursor()
		for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, v = c.First() {
			count, total = count-1, total-int64(len(v))
			if err := c.Delete(); err != nil {
				return err
			}
		}
		o.setTotals(tx, count, total)
		return nil
	})
	if err != nil {
		_ = o.db.View(o.recount)
		return fmt.Errorf("uplink outbox %s: delete sent: %w", o.path, err)
	}
	return nil
}

// alarms returns the latest record of every alarm the outbox knows.
func (o *outbox) alarms() (map[string]latest, error) {
	out := map[string]latest{}
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlarms).ForEach(func(k, v []byte) error {
			l, err := decodeLatest(v)
			if err != nil {
				return fmt.Errorf("alarm %s: %w", k, err)
			}
			out[string(k)] = l
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("uplink outbox %s: alarms: %w", o.path, err)
	}
	return out, nil
}

func encodeLatest(closed bool, data []byte) []byte {
	b := make([]byte, 1, 1+len(data))
	if closed {
		b[0] = 1
	}
	return append(b, data...)
}

func decodeLatest(v []byte) (latest, error) {
	if len(v) < 2 {
		return latest{}, errors.New("short alarm entry")
	}
	l := latest{Closed: v[0] == 1, Data: append([]byte(nil), v[1:]...)}
	if err := json.Unmarshal(l.Data, &l.Rec); err != nil {
		return latest{}, err
	}
	return l, nil
}
