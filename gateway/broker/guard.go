package broker

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/gridwatch/gridwatch/gateway/passwd"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
)

// guard is the broker's gatekeeper: it authenticates every CONNECT, holds
// the last will to the same write ACL as a publish (at CONNECT and again
// when the will is sent), binds client ids to the user that holds them, and
// checks every publish and subscription against the ACL. Every refusal is
// counted and logged at a bounded rate (the input is an attacker's).
type guard struct {
	mqtt.HookBase
	srv       *mqtt.Server // set before the server serves
	anonymous bool
	acl       acl
	users     map[string]Credential
	lookup    func(user string) (hash string, ok bool)
	verify    *verifier
	refused   func(reason string)
	log       *ratelog.Limiter

	mu      sync.Mutex
	pending map[string]claim // client id → a CONNECT of that id being let in
}

// claim is a client id a CONNECT is taking, until its session exists.
type claim struct {
	user string
	at   time.Time
}

var _ mqtt.Hook = (*guard)(nil)

func (g *guard) ID() string { return "gridwatch-guard" }

func (g *guard) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck,
		mqtt.OnWill, mqtt.OnSessionEstablished}, []byte{b})
}

// OnConnect decides on a CONNECT, in order: who it is (username and
// password), whether its will may be published, whether its client id is
// free for it. A refusal sends the CONNACK with its reason and returns an
// error, so mochi closes the connection without going further.
func (g *guard) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	user := string(cl.Properties.Username)
	remote := cl.Net.Remote
	if !g.anonymous {
		if !validUsername(user) {
			return g.refuse(cl, "bad_username", packets.ErrBadUsernameOrPassword,
				"MQTT login refused: a username is an id of 1-64 characters from A-Z a-z 0-9 . _ -", "remote", remote)
		}
		switch err := g.authenticate(user, string(pk.Connect.Password)); {
		case errors.Is(err, errBusy):
			return g.refuse(cl, "busy", packets.ErrServerUnavailable,
				"MQTT login refused: too many logins being checked at once", "user", user, "remote", remote)
		case err != nil:
			return g.refuse(cl, "bad_login", packets.ErrBadUsernameOrPassword,
				"MQTT login refused: unknown user or wrong password", "user", user, "remote", remote)
		}
	}
	if w := cl.Properties.Will; w.Flag == 1 {
		if !g.mayWrite(user, w.TopicName) {
			return g.refuse(cl, "will", packets.ErrNotAuthorized,
				"MQTT connection refused: its last will is on a topic the user may not publish to",
				"user", user, "client", cl.ID, "topic", clip(w.TopicName), "remote", remote)
		}
		// A delayed will would be published later without passing
		// OnWill again; it goes out at once instead.
		cl.Properties.Will.WillDelayInterval = 0
	}
	if holder, ok := g.claim(cl.ID, user); !ok {
		return g.refuse(cl, "takeover", packets.ErrNotAuthorized,
			"MQTT connection refused: the client id is held by another user",
			"user", user, "client", cl.ID, "held_by", holder, "remote", remote)
	}
	return nil
}

// OnConnectAuthenticate lets in whoever OnConnect did not refuse: mochi
// calls it only after every OnConnect returned nil.
func (g *guard) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnSessionEstablished ends the claim: the session now holds the id.
func (g *guard) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.pending[cl.ID]; ok && c.user == string(cl.Properties.Username) {
		delete(g.pending, cl.ID)
	}
}

// OnACLCheck holds every publish and subscription to the ACL.
func (g *guard) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline || g.anonymous {
		return true
	}
	user := string(cl.Properties.Username)
	if g.acl.allows(user, topic, write) && g.known(user) {
		return true
	}
	reason := "subscribe"
	if write {
		reason = "publish"
	}
	g.refused(reason)
	g.log.Warn("acl-"+reason+"/"+user, "MQTT "+reason+" refused by the ACL",
		"user", user, "client", cl.ID, "topic", clip(topic))
	return false
}

// OnWill checks a will again as it is about to be sent: the registry may
// have dropped the user since it connected. A refused will is replaced by
// one with no topic, which mochi publishes to nobody and does not retain
// (an error here would make mochi send the original).
func (g *guard) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	user := string(cl.Properties.Username)
	if g.mayWrite(user, will.TopicName) {
		return will, nil
	}
	g.refused("will_at_send")
	g.log.Warn("will/"+user, "MQTT last will dropped: the user may no longer publish to its topic",
		"user", user, "client", cl.ID, "topic", clip(will.TopicName))
	return mqtt.Will{}, nil
}

// mayWrite reports whether user may publish to topic now.
func (g *guard) mayWrite(user, topic string) bool {
	if !validTopic(topic) {
		return false
	}
	return g.anonymous || g.acl.allows(user, topic, true) && g.known(user)
}

// known reports whether user still has a credential.
func (g *guard) known(user string) bool {
	_, ok := g.credential(user)
	return ok
}

func (g *guard) credential(user string) (Credential, bool) {
	if c, ok := g.users[user]; ok {
		return c, true
	}
	if g.lookup != nil {
		if h, ok := g.lookup(user); ok && h != "" {
			return Credential{Hash: h}, true
		}
	}
	return Credential{}, false
}

// authenticate checks user's password.
func (g *guard) authenticate(user, password string) error {
	c, ok := g.credential(user)
	if !ok {
		return passwd.ErrMismatch
	}
	return g.verify.verify(context.Background(), user, password, c)
}

// claimTTL bounds how long a claim outlives a CONNECT that never finished.
const claimTTL = time.Minute

// claim takes client id for user unless another user holds it: a session
// (connected, or kept for a client that is away, restored from broker.db
// with its username after a restart), a CONNECT of that id under way, or
// the id being another user's own name. It returns who holds it.
func (g *guard) claim(id, user string) (holder string, ok bool) {
	if existing, found := g.srv.Clients.Get(id); found {
		if existing.Net.Inline {
			return "the gateway", false
		}
		if h := string(existing.Properties.Username); h != user {
			return h, false
		}
	}
	if !g.anonymous && id != user && validUsername(id) && g.known(id) {
		return id, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if c, found := g.pending[id]; found && c.user != user && now.Sub(c.at) < claimTTL {
		return c.user, false
	}
	if len(g.pending) > 4096 {
		for k, c := range g.pending {
			if now.Sub(c.at) >= claimTTL {
				delete(g.pending, k)
			}
		}
	}
	g.pending[id] = claim{user: user, at: now}
	return "", true
}

// refuse answers a CONNECT with code, counts and logs why, and returns
// the error that makes mochi close the connection.
func (g *guard) refuse(cl *mqtt.Client, reason string, code packets.Code, msg string, args ...any) error {
	g.refused(reason)
	g.log.Warn("connect-"+reason, msg, args...)
	send := code
	if cl.Properties.ProtocolVersion < 5 && code == packets.ErrNotAuthorized {
		send = packets.Err3NotAuthorized // mochi has no v3 mapping for it
	}
	_ = g.srv.SendConnack(cl, send, false, nil)
	return code
}

// clip shortens attacker-controlled text for a log line.
func clip(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
