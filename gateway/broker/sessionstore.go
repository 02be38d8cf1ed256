package broker

import (
	"strconv"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
)

// sessionStore is mochi's bbolt storage hook with one repair: mochi v2.7.9's
// bolt hook does not store the packet id of an in-flight message (its
// badger and pebble hooks do), so after a restart the broker cannot resend
// a queued QoS 1 message ("missing packet id") and an offline phone would
// never get the notification. The id is still part of the record's key
// ("IFM_<client>:<packet id>"), so it is restored from there on load.
type sessionStore struct {
	*bolt.Hook
}

var _ mqtt.Hook = sessionStore{}

// Provides leaves out the $SYS counters, both ways: restoring them is of
// no use to us, and on a fresh store mochi logs a missing record as an
// ERROR at every start, which would teach operators to ignore error lines;
// storing them races with the hook's Stop (mochi's bolt hook sets its db
// to nil in Stop while the server's sysinfo tick may still read it — the
// race detector caught it at a gateway's shutdown).
func (s sessionStore) Provides(b byte) bool {
	return b != mqtt.StoredSysInfo && b != mqtt.OnSysInfoTick && s.Hook.Provides(b)
}

// StoredInflightMessages returns the stored in-flight messages with their
// packet ids restored.
func (s sessionStore) StoredInflightMessages() ([]storage.Message, error) {
	msgs, err := s.Hook.StoredInflightMessages()
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		if msgs[i].PacketID != 0 {
			continue
		}
		k := strings.LastIndexByte(msgs[i].ID, ':')
		if k < 0 {
			continue
		}
		if id, err := strconv.ParseUint(msgs[i].ID[k+1:], 10, 16); err == nil {
			msgs[i].PacketID = uint16(id)
		}
	}
	return msgs, nil
}
