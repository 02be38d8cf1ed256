package sc

import (
	"crypto/subtle"
	"errors"
)

// Session is one established secure channel's MAC chain. The CP and the PD
// each hold one: a command is MACed with the last R-MAC as IV, a reply with
// the last C-MAC. It is not safe for concurrent use.
type Session struct {
	Keys
	lastCMAC Key // last MAC of a command (CP→PD)
	lastRMAC Key // last MAC of a reply (PD→CP)
}

// NewSession starts the chain after a successful handshake.
func NewSession(k Keys, rmacI Key) *Session { return &Session{Keys: k, lastRMAC: rmacI} }

// ErrMAC is returned when a packet's MAC does not match.
var ErrMAC = errors.New("osdp sc: MAC mismatch")

// SealCommand computes the MAC of a command's bytes (SOM through the end of
// its data, LEN already counting MAC and check) and advances the chain.
func (s *Session) SealCommand(msg []byte) [4]byte {
	s.lastCMAC = s.MAC(s.lastRMAC, msg)
	return [4]byte(s.lastCMAC[:4])
}

// SealReply is SealCommand for the PD's reply.
func (s *Session) SealReply(msg []byte) [4]byte {
	s.lastRMAC = s.MAC(s.lastCMAC, msg)
	return [4]byte(s.lastRMAC[:4])
}

// OpenCommand checks a received command's MAC and advances the chain only if
// it matches.
func (s *Session) OpenCommand(msg, mac []byte) error {
	m := s.MAC(s.lastRMAC, msg)
	if subtle.ConstantTimeCompare(m[:4], mac) != 1 {
		return ErrMAC
	}
	s.lastCMAC = m
	return nil
}

// OpenReply checks a received reply's MAC and advances the chain only if it
// matches.
func (s *Session) OpenReply(msg, mac []byte) error {
	m := s.MAC(s.lastCMAC, msg)
	if subtle.ConstantTimeCompare(m[:4], mac) != 1 {
		return ErrMAC
	}
	s.lastRMAC = m
	return nil
}

// CommandIV is the IV for encrypting (CP) or decrypting (PD) command data.
func (s *Session) CommandIV() Key { return IVFor(s.lastRMAC) }

// ReplyIV is the IV for encrypting (PD) or decrypting (CP) reply data.
func (s *Session) ReplyIV() Key { return IVFor(s.lastCMAC) }
