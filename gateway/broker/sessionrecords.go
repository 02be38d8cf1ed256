package broker

import (
	"bytes"
	"strconv"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/packets"
	"go.etcd.io/bbolt"
)

// The hooks below turn the broker's events into records, as mochi's bolt
// hook does, and hand them to the writer (sessionstore.go): in-flight
// messages behind, the rest durable before the broker goes on.

// OnSessionEstablished stores a client when its session is established.
func (s *sessionStore) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) { s.putClient(cl) }

// OnWillSent stores the client again without the will it sent.
func (s *sessionStore) OnWillSent(cl *mqtt.Client, _ packets.Packet) { s.putClient(cl) }

func (s *sessionStore) putClient(cl *mqtt.Client) {
	props := cl.Properties.Props.Copy(false)
	s.putDurable(clientKey(cl.ID), &storage.Client{
		ID: cl.ID, T: storage.ClientKey, Remote: cl.Net.Remote, Listener: cl.Net.Listener,
		Username: cl.Properties.Username, Clean: cl.Properties.Clean, ProtocolVersion: cl.Properties.ProtocolVersion,
		Properties: storage.ClientProperties{
			SessionExpiryInterval: props.SessionExpiryInterval, AuthenticationMethod: props.AuthenticationMethod,
			AuthenticationData: props.AuthenticationData, RequestProblemInfo: props.RequestProblemInfo,
			RequestResponseInfo: props.RequestResponseInfo, ReceiveMaximum: props.ReceiveMaximum,
			TopicAliasMaximum: props.TopicAliasMaximum, User: props.User, MaximumPacketSize: props.MaximumPacketSize,
		},
		Will: storage.ClientWill(cl.Properties.Will),
	})
}

// OnDisconnect forgets a client whose session ends with its connection
// (not one whose session another connection took over).
func (s *sessionStore) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if expire && cl.StopCause() != packets.ErrSessionTakenOver {
		s.putDurable(clientKey(cl.ID), nil)
	}
}

// OnClientExpired forgets an expired client.
func (s *sessionStore) OnClientExpired(cl *mqtt.Client) { s.putDurable(clientKey(cl.ID), nil) }

// OnSubscribed stores a client's new subscriptions.
func (s *sessionStore) OnSubscribed(cl *mqtt.Client, pk packets.Packet, codes []byte) {
	for i, f := range pk.Filters {
		if i >= len(codes) {
			break
		}
		key := subscriptionKey(cl.ID, f.Filter)
		s.putDurable(key, &storage.Subscription{
			ID: key, T: storage.SubscriptionKey, Client: cl.ID, Qos: codes[i], Filter: f.Filter,
			Identifier: f.Identifier, NoLocal: f.NoLocal, RetainHandling: f.RetainHandling, RetainAsPublished: f.RetainAsPublished,
		})
	}
}

// OnUnsubscribed forgets a client's subscriptions.
func (s *sessionStore) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	for _, f := range pk.Filters {
		s.putDurable(subscriptionKey(cl.ID, f.Filter), nil)
	}
}

// OnRetainMessage stores a retained message, or forgets it (r == -1):
// the gateway's own (the alarm board, which the desk shows again after a
// restart) behind, any other client's durably.
func (s *sessionStore) OnRetainMessage(cl *mqtt.Client, pk packets.Packet, r int64) {
	key := retainedKey(pk.TopicName)
	var rec storage.Serializable
	if r != -1 {
		rec = message(key, storage.RetainedKey, cl.ID, pk)
	}
	if cl.Net.Inline {
		s.put(key, rec)
		return
	}
	s.putDurable(key, rec)
}

// OnRetainedExpired forgets an expired retained message.
func (s *sessionStore) OnRetainedExpired(topic string) { s.putDurable(retainedKey(topic), nil) }

// OnQosPublish stores a QoS 1/2 message sent (or resent) to a client,
// packet id included.
func (s *sessionStore) OnQosPublish(cl *mqtt.Client, pk packets.Packet, sent int64, _ int) {
	key := inflightKey(cl.ID, pk.PacketID)
	m := message(key, storage.InflightKey, cl.ID, pk)
	m.Sent, m.PacketID = sent, pk.PacketID
	s.put(key, m)
}

// OnQosComplete forgets a message the client acknowledged.
func (s *sessionStore) OnQosComplete(cl *mqtt.Client, pk packets.Packet) {
	s.put(inflightKey(cl.ID, pk.PacketID), nil)
}

// OnQosDropped forgets a message the broker gave up.
func (s *sessionStore) OnQosDropped(cl *mqtt.Client, pk packets.Packet) {
	s.put(inflightKey(cl.ID, pk.PacketID), nil)
}

// message is the record of a retained or in-flight message; client is
// who retained it, or whom it is in flight to.
func message(key, kind, client string, pk packets.Packet) *storage.Message {
	props := pk.Properties.Copy(false)
	return &storage.Message{
		ID: key, T: kind, Client: client, FixedHeader: pk.FixedHeader, TopicName: pk.TopicName, Payload: pk.Payload,
		Created: pk.Created, Origin: pk.Origin,
		Properties: storage.MessageProperties{
			PayloadFormat: props.PayloadFormat, MessageExpiryInterval: props.MessageExpiryInterval,
			ContentType: props.ContentType, ResponseTopic: props.ResponseTopic, CorrelationData: props.CorrelationData,
			SubscriptionIdentifier: props.SubscriptionIdentifier, TopicAlias: props.TopicAlias, User: props.User,
		},
	}
}

// StoredClients returns the stored clients.
func (s *sessionStore) StoredClients() ([]storage.Client, error) {
	var out []storage.Client
	err := s.each(storage.ClientKey, func(v []byte) {
		var c storage.Client
		if c.UnmarshalBinary(v) == nil {
			out = append(out, c)
		}
	})
	return out, err
}

// StoredSubscriptions returns the stored subscriptions.
func (s *sessionStore) StoredSubscriptions() ([]storage.Subscription, error) {
	var out []storage.Subscription
	err := s.each(storage.SubscriptionKey, func(v []byte) {
		var c storage.Subscription
		if c.UnmarshalBinary(v) == nil {
			out = append(out, c)
		}
	})
	return out, err
}

// StoredRetainedMessages returns the stored retained messages.
func (s *sessionStore) StoredRetainedMessages() ([]storage.Message, error) {
	return s.messages(storage.RetainedKey)
}

// StoredInflightMessages returns the stored in-flight messages; a record
// without its packet id (written by mochi's hook) gets it from its key.
func (s *sessionStore) StoredInflightMessages() ([]storage.Message, error) {
	msgs, err := s.messages(storage.InflightKey)
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
	return msgs, err
}

func (s *sessionStore) messages(kind string) ([]storage.Message, error) {
	var out []storage.Message
	err := s.each(kind, func(v []byte) {
		var m storage.Message
		if m.UnmarshalBinary(v) == nil {
			out = append(out, m)
		}
	})
	return out, err
}

// each visits the stored records of one kind. Stored* are called at
// start, before any write.
func (s *sessionStore) each(kind string, visit func([]byte)) error {
	prefix := []byte(kind + "_")
	return s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(storeBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			visit(v)
		}
		return nil
	})
}
