package broker

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"go.etcd.io/bbolt"
)

// storeBucket is the bbolt bucket of broker.db; the records, keys and
// bucket are those of mochi's bolt hook, which wrote broker.db before, so
// either reads the other's file.
var storeBucket = []byte("mochi")

// sessionStore keeps the embedded broker's sessions, subscriptions,
// retained messages and in-flight QoS 1 messages in broker.db (bbolt), as
// mochi's bolt hook does, with these differences:
//
//   - In-flight messages are written behind, not in line. mochi calls its
//     storage hooks on the path of every message: a QoS 1 page is stored
//     before it is queued to the phone, and the phone's PUBACK deleted
//     before its next packet is read. mochi's hook committed and fsynced
//     each in a transaction of its own while the message waited, so under
//     load a page waited behind a queue of fsyncs (`make bench`: p50 21
//     ms, p99 300 ms where the floor relay took 3 and 22). Here the record
//     is handed to one writer goroutine and the page goes on at once.
//   - The gateway's own retained messages (the alarm board, published
//     through the inline client) are written behind too: the escalation
//     desk shows every open alarm again, and clears the board of alarms
//     that are not open, once the broker serves after a start (Retained).
//     Retained messages of devices and other clients stay durable.
//   - Records written behind gather for up to behindFor before they are
//     committed, so the records of many messages share one commit and its
//     two fdatasyncs (bbolt), which otherwise compete with the journal's
//     fsync for the disk (10 presses a second made about 9 broker.db
//     commits a press: each page, its acknowledgement and each board
//     update of a watching console). A kill -9 or a power cut may lose the
//     records of that last stretch: a page then unconfirmed is re-sent by
//     the page ledger after the restart, as any page the broker lost is,
//     and the board is shown again as said above.
//   - Everything else (clients, subscriptions, retained messages of
//     clients) is still durable before the broker goes on, through the
//     same writer, at once: records handed over while a commit runs share
//     the next one (group commit), one commit for many, and a durable
//     record takes the records written behind along with it.
//   - In-flight messages keep their packet ids. mochi v2.7.9's bolt hook
//     does not store them, so after a restart the broker could not resend
//     a queued QoS 1 message ("missing packet id"); records of such files
//     get theirs back from the key ("IFM_<client>:<packet id>").
//
// A commit takes every record handed over before it began, newest per key,
// in one transaction, so the file always holds the broker's state as of
// one moment. A clean stop writes everything.
type sessionStore struct {
	mqtt.HookBase
	path    string
	options *bbolt.Options
	errors  func() // counts a failed commit
	db      *bbolt.DB
	// commit writes one batch; write unless a test replaces it.
	commit func(batch map[string][]byte) error
	// behindFor is how long records written behind may wait for a
	// commit; behindFor unless a test changes it before Init.
	behindFor time.Duration

	mu      sync.Mutex
	pending map[string][]byte // key → record; nil: delete the key
	round   uint64            // commits begun
	settled uint64            // commits ended (written, or failed and put back)
	stopped bool
	durable int           // records pending that someone waits for
	settle  *sync.Cond    // signalled when settled moves
	wake    chan struct{} // cap 1: there is something pending
	urge    chan struct{} // cap 1: a durable record is pending
	quit    chan struct{} // closed by Stop
	done    chan struct{} // closed when the writer has written all and ended
}

var _ mqtt.Hook = (*sessionStore)(nil)

// retryAfter is how long the writer waits after a failed commit before
// trying the same records again.
const retryAfter = time.Second

// behindFor is how long a record written behind may wait for its commit
// (unless a durable record comes first): at 10 presses a second, a few
// commits a second in all instead of about ninety.
const behindFor = time.Second

func newSessionStore(path string, options *bbolt.Options, errs func()) *sessionStore {
	s := &sessionStore{path: path, options: options, errors: errs,
		pending: map[string][]byte{}, behindFor: behindFor,
		wake: make(chan struct{}, 1), urge: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	s.commit = s.write
	s.settle = sync.NewCond(&s.mu)
	return s
}

// ID names the hook.
func (s *sessionStore) ID() string { return "gridwatch-session-store" }

// Provides lists the hooks it implements. The $SYS counters are left
// out both ways: restoring them is of no use, and storing them raced
// with the store's Stop at shutdown (mochi's sysinfo tick).
func (s *sessionStore) Provides(b byte) bool {
	switch b {
	case mqtt.OnSessionEstablished, mqtt.OnDisconnect, mqtt.OnSubscribed, mqtt.OnUnsubscribed,
		mqtt.OnRetainMessage, mqtt.OnWillSent, mqtt.OnQosPublish, mqtt.OnQosComplete, mqtt.OnQosDropped,
		mqtt.OnClientExpired, mqtt.OnRetainedExpired,
		mqtt.StoredClients, mqtt.StoredInflightMessages, mqtt.StoredRetainedMessages, mqtt.StoredSubscriptions:
		return true
	}
	return false
}

// Init opens broker.db and starts the writer, which Stop ends. mochi
// calls it from AddHook.
func (s *sessionStore) Init(any) error {
	db, err := bbolt.Open(s.path, 0o600, s.options)
	if err != nil {
		return fmt.Errorf("broker: session store %s: %w", s.path, err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(storeBucket)
		return err
	}); err != nil {
		db.Close()
		return fmt.Errorf("broker: session store %s: %w", s.path, err)
	}
	s.db = db
	go s.run()
	return nil
}

// Stop writes what is pending, ends the writer and closes the file.
func (s *sessionStore) Stop() error {
	close(s.quit)
	<-s.done
	return s.db.Close()
}

// put hands one record (nil: a deletion) to the writer and returns at
// once; see putDurable.
func (s *sessionStore) put(key string, v storage.Serializable) { s.hand(key, v, false) }

// putDurable hands one record to the writer and waits until the commit
// that takes it has ended. A failed commit does not hold the broker up:
// the record stays pending and is written by a later one.
func (s *sessionStore) putDurable(key string, v storage.Serializable) { s.hand(key, v, true) }

func (s *sessionStore) hand(key string, v storage.Serializable, wait bool) {
	var data []byte
	if v != nil {
		var err error
		if data, err = v.MarshalBinary(); err != nil || data == nil {
			s.Log.Error("session store: record not encoded", "key", key, "error", err)
			return
		}
	}
	s.mu.Lock()
	s.pending[key] = data
	mine := s.round + 1 // the next commit to begin takes it
	if wait {
		s.durable++
	}
	s.mu.Unlock()
	s.wakeUp()
	if !wait {
		return
	}
	select {
	case s.urge <- struct{}{}:
	default:
	}
	s.mu.Lock()
	for s.settled < mine && !s.stopped {
		s.settle.Wait()
	}
	s.mu.Unlock()
}

// run is the writer: it commits what is pending, one batch at a time,
// until Stop; then it commits the rest and ends. Records written behind
// wait up to behindFor for company; a durable record is committed at once.
func (s *sessionStore) run() {
	defer func() {
		s.mu.Lock()
		s.stopped = true
		s.settle.Broadcast()
		s.mu.Unlock()
		close(s.done)
	}()
	stop := func() {
		for s.flush() == nil && s.pendingCount() > 0 {
		}
	}
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			stop()
			return
		}
		if !s.gather() {
			stop()
			return
		}
		if err := s.flush(); err != nil {
			select {
			case <-time.After(retryAfter):
				s.wakeUp()
			case <-s.quit:
				_ = s.flush() // one last try; what fails now is lost with the process
				return
			}
		}
	}
}

// gather waits until the records pending are due: at once if one is
// durable, else behindFor or until a durable one comes. It reports false
// if Stop came meanwhile.
func (s *sessionStore) gather() bool {
	s.mu.Lock()
	urgent, empty := s.durable > 0, len(s.pending) == 0
	s.mu.Unlock()
	select {
	case <-s.urge: // taken: the flush to come serves it
	default:
	}
	if urgent || empty || s.behindFor <= 0 {
		return true
	}
	t := time.NewTimer(s.behindFor)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.urge:
	case <-s.quit:
		return false
	}
	return true
}

func (s *sessionStore) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *sessionStore) pendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// flush commits everything pending in one transaction. On failure the
// records go back, unless a newer record of the same key came meanwhile.
func (s *sessionStore) flush() error {
	s.mu.Lock()
	batch := s.pending
	if len(batch) == 0 {
		s.mu.Unlock()
		return nil
	}
	s.pending = make(map[string][]byte, len(batch))
	s.round++
	s.durable = 0
	s.mu.Unlock()
	err := s.commit(batch)
	s.mu.Lock()
	if err != nil {
		for k, v := range batch {
			if _, newer := s.pending[k]; !newer {
				s.pending[k] = v
			}
		}
	}
	s.settled++
	s.settle.Broadcast()
	s.mu.Unlock()
	if err == nil {
		return nil
	}
	if s.errors != nil {
		s.errors()
	}
	s.Log.Error("session store: write failed; retrying", "records", len(batch), "error", err)
	return err
}

// write is the real commit.
func (s *sessionStore) write(batch map[string][]byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(storeBucket)
		if b == nil {
			return errors.New("bucket missing")
		}
		for k, v := range batch {
			var err error
			if v == nil {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), v)
			}
			if err != nil {
				return fmt.Errorf("key %s: %w", k, err)
			}
		}
		return nil
	})
}

// The records' keys, as mochi's bolt hook makes them.
func clientKey(id string) string { return storage.ClientKey + "_" + id }
func subscriptionKey(id, filter string) string {
	return storage.SubscriptionKey + "_" + id + ":" + filter
}
func retainedKey(topic string) string { return storage.RetainedKey + "_" + topic }
func inflightKey(id string, packetID uint16) string {
	return storage.InflightKey + "_" + id + ":" + strconv.FormatUint(uint64(packetID), 10)
}
