package wire

import "fmt"

// KeyTypeSCBK is the KEYSET key type of the secure channel base key.
const KeyTypeSCBK byte = 1

// KeySet is the payload of osdp_KEYSET: key type, key length, key. The CP
// sends it only inside an established secure channel (SCB 0x17, so the
// key travels encrypted); the PD answers ACK and uses the new SCBK for
// the next secure channel session.
type KeySet struct {
	Type byte
	Key  []byte
}

// DecodeKeySet parses a KEYSET payload. An SCBK must be 16 bytes.
func DecodeKeySet(b []byte) (KeySet, error) {
	if len(b) < 2 || int(b[1]) != len(b)-2 {
		return KeySet{}, fmt.Errorf("osdp KEYSET: %d bytes do not hold type, length and a key of that length", len(b))
	}
	k := KeySet{Type: b[0], Key: append([]byte(nil), b[2:]...)}
	if k.Type == KeyTypeSCBK && len(k.Key) != 16 {
		return KeySet{}, fmt.Errorf("osdp KEYSET: SCBK of %d bytes, want 16", len(k.Key))
	}
	return k, nil
}

// Append encodes k onto dst.
func (k KeySet) Append(dst []byte) []byte {
	return append(append(dst, k.Type, byte(len(k.Key))), k.Key...)
}
