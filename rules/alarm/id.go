package alarm

import "fmt"

// crockford is Crockford's base32 alphabet; it sorts in ASCII order, so
// fixed-width encodings sort like the numbers they encode.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const (
	idMSDigits  = 10 // 50 bits: Unix milliseconds for the next 35,000 years
	idSeqDigits = 4  // 20 bits: a million ids per millisecond
	idLen       = 1 + idMSDigits + idSeqDigits
	idSeqLimit  = 1 << (5 * idSeqDigits)
)

// IDGen issues alarm ids: "A", then the Unix milliseconds in 10 base32
// digits, then a counter in 4. Ids sort in the order they were issued and
// never repeat, even when the clock steps back: the generator never goes
// below the last id it issued or observed. Seed it after a restart with
// Observe(the store's LastID) to stay unique across restarts.
//
// The zero value is ready to use. An IDGen is not safe for concurrent use;
// it belongs to one owner.
type IDGen struct {
	ms  int64
	seq uint32
}

// Next returns a new id for an alarm raised at nowMS.
func (g *IDGen) Next(nowMS int64) string {
	if nowMS > g.ms {
		g.ms, g.seq = nowMS, 0
	} else if g.seq++; g.seq >= idSeqLimit {
		g.ms, g.seq = g.ms+1, 0
	}
	var b [idLen]byte
	b[0] = 'A'
	putBase32(b[1:1+idMSDigits], uint64(g.ms))
	putBase32(b[1+idMSDigits:], uint64(g.seq))
	return string(b[:])
}

// Observe makes sure every later id sorts after id. It fails for a string
// that is not an id of this scheme.
func (g *IDGen) Observe(id string) error {
	ms, seq, err := ParseID(id)
	if err != nil {
		return err
	}
	if ms > g.ms || (ms == g.ms && seq > g.seq) {
		g.ms, g.seq = ms, seq
	}
	return nil
}

// ParseID returns the milliseconds and counter an id was made of.
func ParseID(id string) (ms int64, seq uint32, err error) {
	if len(id) != idLen || id[0] != 'A' {
		return 0, 0, fmt.Errorf("alarm id %q: want %q and %d base32 digits", id, "A", idLen-1)
	}
	m, err := parseBase32(id[1 : 1+idMSDigits])
	if err != nil {
		return 0, 0, fmt.Errorf("alarm id %q: %w", id, err)
	}
	s, err := parseBase32(id[1+idMSDigits:])
	if err != nil {
		return 0, 0, fmt.Errorf("alarm id %q: %w", id, err)
	}
	return int64(m), uint32(s), nil
}

func putBase32(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = crockford[v&31]
		v >>= 5
	}
}

func parseBase32(s string) (uint64, error) {
	var v uint64
	for i := 0; i < len(s); i++ {
		d := -1
		for j := 0; j < len(crockford); j++ {
			if crockford[j] == s[i] {
				d = j
				break
			}
		}
		if d < 0 {
			return 0, fmt.Errorf("%q is not a base32 digit", s[i])
		}
		v = v<<5 | uint64(d)
	}
	return v, nil
}
