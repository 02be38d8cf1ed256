package broadcast

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/internal/boltfile"
)

var (
	bucketBroadcasts = []byte("broadcasts") // id → Broadcast JSON
	bucketCommands   = []byte("commands")   // command id → broadcast id
)

// store keeps broadcasts in a bbolt file; ids sort by time.
type store struct{ db *bbolt.DB }

// openStore opens the broadcast history at path. A damaged file is set
// aside (kept as path.corrupt-<time>) and a fresh one started, with an
// error in the log: the history of broadcasts is worth less than a
// gateway that starts.
func openStore(path string, now time.Time, log *slog.Logger) (*store, error) {
	db, err := boltfile.OpenReplaceable(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second}, now, log,
		"the broadcast store; the history of earlier broadcasts is in the file set aside")
	if err != nil {
		return nil, fmt.Errorf("broadcast store: %w", err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketBroadcasts, bucketCommands} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("broadcast store: %w", err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// put writes b and indexes its device targets' command ids.
func (s *store) put(b *Broadcast) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		cmds := tx.Bucket(bucketCommands)
		for _, t := range b.Targets {
			if t.CID != "" {
				if err := cmds.Put([]byte(t.CID), []byte(b.ID)); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketBroadcasts).Put([]byte(b.ID), data)
	})
}

func (s *store) get(id string) (*Broadcast, error) {
	var b *Broadcast
	err := s.db.View(func(tx *bbolt.Tx) error {
		data := tx.Bucket(bucketBroadcasts).Get([]byte(id))
		if data == nil {
			return ErrNotFound
		}
		b = new(Broadcast)
		return json.Unmarshal(data, b)
	})
	return b, err
}

// byCommand finds the broadcast a command id belongs to.
func (s *store) byCommand(cid string) (*Broadcast, error) {
	var id []byte
	_ = s.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketCommands).Get([]byte(cid)); v != nil {
			id = append([]byte(nil), v...)
		}
		return nil
	})
	if id == nil {
		return nil, ErrNotFound
	}
	return s.get(string(id))
}

// settlePending marks every target still pending as timed out with msg:
// after a restart nothing will answer them. It returns how many it marked.
func (s *store) settlePending(msg string, atMS int64) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketBroadcasts)
		var changed []*Broadcast
		err := bk.ForEach(func(_, v []byte) error {
			var b Broadcast
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			hit := false
			for i := range b.Targets {
				if t := &b.Targets[i]; t.Status == Pending {
					t.Status, t.Error, t.AtMS = Timeout, msg, atMS
					hit = true
					n++
				}
			}
			if hit {
				b.summarise()
				changed = append(changed, &b)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, b := range changed {
			data, err := json.Marshal(b)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(b.ID), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("broadcast store: settle pending targets: %w", err)
	}
	return n, nil
}

// list returns up to limit broadcasts, newest first.
func (s *store) list(limit int) ([]Broadcast, error) {
	var out []Broadcast
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketBroadcasts).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var b Broadcast
			if err := json.Unmarshal(v, &b); err != nil {
				return errors.Join(fmt.Errorf("broadcast %s", k), err)
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}
