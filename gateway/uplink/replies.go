package uplink

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// Buckets of the answered county requests, in the outbox file, so that a
// request redelivered after a restart or a kill -9 (QoS 1 redelivery, or
// the county sending it again) gets its first reply and is not done twice.
var (
	bucketReplies    = []byte("replies")     // request id → order key (8 bytes) + the Reply JSON
	bucketReplyOrder = []byte("reply_order") // order key (8 bytes) → answered at (Unix ms, 8 bytes) + request id
	keyReplySeq      = []byte("reply_seq")   // in meta: the last order key given out
)

// How many answered requests are remembered, and for how long: the last
// remembered ids, none older than replyKeep.
const (
	remembered = 4096
	replyKeep  = 24 * time.Hour
)

// reply returns the stored reply to request id, if it was answered.
func (o *outbox) reply(id string) (countywire.Reply, bool, error) {
	var rep countywire.Reply
	var ok bool
	err := o.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReplies).Get([]byte(id))
		if len(v) < 8 {
			return nil
		}
		ok = true
		return json.Unmarshal(v[8:], &rep)
	})
	if err != nil {
		return countywire.Reply{}, false, fmt.Errorf("uplink outbox %s: reply %q: %w", o.path, id, err)
	}
	return rep, ok, nil
}

// keepReply stores the reply to request rep.ID (replacing an earlier one
// for the same id) and forgets the oldest beyond remembered.
func (o *outbox) keepReply(rep countywire.Reply, now time.Time) error {
	data, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	err = o.db.Update(func(tx *bolt.Tx) error {
		rb, ob, meta := tx.Bucket(bucketReplies), tx.Bucket(bucketReplyOrder), tx.Bucket(bucketMeta)
		id := []byte(rep.ID)
		key := rb.Get(id)
		if len(key) >= 8 {
			key = append([]byte(nil), key[:8]...) // a second answer to the same id keeps its place
		} else {
			var seq uint64
			if v := meta.Get(keyReplySeq); len(v) == 8 {
				seq = binary.BigEndian.Uint64(v)
			}
			key = seqKey(seq + 1)
			if err := meta.Put(keyReplySeq, key); err != nil {
				return err
			}
			if err := ob.Put(key, append(binary.BigEndian.AppendUint64(nil, uint64(now.UnixMilli())), id...)); err != nil {
				return err
			}
		}
		if err := rb.Put(id, append(append([]byte(nil), key...), data...)); err != nil {
			return err
		}
		return pruneReplies(tx, now, remembered)
	})
	if err != nil {
		return fmt.Errorf("uplink outbox %s: keep reply %q: %w", o.path, rep.ID, err)
	}
	return nil
}

// pruneReplies forgets the oldest answered requests while there are more
// than keep, or they are older than replyKeep.
func pruneReplies(tx *bolt.Tx, now time.Time, keep int) error {
	rb, ob := tx.Bucket(bucketReplies), tx.Bucket(bucketReplyOrder)
	n := ob.Stats().KeyN
	cutoff := uint64(now.Add(-replyKeep).UnixMilli())
	c := ob.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		if n <= keep && (len(v) >= 8 && binary.BigEndian.Uint64(v[:8]) >= cutoff) {
			return nil
		}
		if len(v) >= 8 {
			if err := rb.Delete(v[8:]); err != nil {
				return err
			}
		}
		if err := c.Delete(); err != nil {
			return err
		}
		n--
	}
	return nil
}
