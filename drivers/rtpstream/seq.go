package rtpstream

// RFC 3550 A.1 bounds: a jump of up to maxDropout ahead is a gap (loss), a
// step back of up to maxMisorder is a late or duplicate packet, anything
// else is a jump that must be confirmed by the next packet before the
// sequence restarts there.
const (
	maxDropout  = 3000
	maxMisorder = 100
	seqMod      = 1 << 16
	// seenWindow is how many recent extended sequence numbers are kept to
	// tell a duplicate from a late packet; more than maxMisorder.
	seenWindow = 128
	noBadSeq   = seqMod + 1
)

// outcome is what one packet was to its stream's sequence.
type outcome uint8

const (
	inOrder   outcome = iota // advanced the highest sequence number, maybe over a gap
	late                     // older than the highest, not seen before: reordered
	duplicate                // seen before
	jumped                   // far outside the expected range: dropped until confirmed
	restarted                // confirmed a jump: the sequence starts again here
)

// sequence tracks one SSRC's sequence numbers as RFC 3550 A.1 does:
// extended highest sequence number (wraps counted in cycles), base, and a
// window of the last seenWindow numbers to find duplicates.
type sequence struct {
	started bool
	maxSeq  uint16
	cycles  int64  // wraps × 65536
	base    int64  // extended number of the first packet
	badSeq  uint32 // the number that would confirm a jump, noBadSeq if none
	// priorExpected keeps what was expected before a restart, so Expected
	// only grows.
	priorExpected int64
	seen          [seenWindow]int64 // extended number + seqMod (never 0) of recent packets, by slot
}

// init starts the sequence at seq.
func (s *sequence) init(seq uint16) {
	s.started = true
	s.maxSeq = seq
	s.cycles = 0
	s.base = int64(seq)
	s.badSeq = noBadSeq
	s.seen = [seenWindow]int64{}
}

// extMax is the extended highest sequence number.
func (s *sequence) extMax() int64 { return s.cycles + int64(s.maxSeq) }

// expected is how many packets the sender sent so far, by sequence
// numbers: RFC 3550's extended max − base + 1, plus what was expected
// before a restart.
func (s *sequence) expected() int64 {
	if !s.started {
		return 0
	}
	return s.priorExpected + s.extMax() - s.base + 1
}

// update files one sequence number and says what it was.
func (s *sequence) update(seq uint16) outcome {
	if !s.started {
		s.init(seq)
		s.mark(int64(seq))
		return inOrder
	}
	var ext int64
	out := inOrder
	udelta := seq - s.maxSeq
	switch {
	case udelta == 0:
		return duplicate
	case udelta < maxDropout:
		if seq < s.maxSeq {
			s.cycles += seqMod
		}
		s.maxSeq = seq
		ext = s.extMax()
	case int(udelta) <= seqMod-maxMisorder:
		if uint32(seq) != s.badSeq {
			s.badSeq = (uint32(seq) + 1) & (seqMod - 1)
			return jumped
		}
		// Two in a row: the sender restarted its numbering.
		s.priorExpected = s.expected()
		s.init(seq)
		ext, out = int64(seq), restarted
	default: // behind the highest by less than maxMisorder
		ext = s.cycles + int64(seq)
		if seq > s.maxSeq {
			ext -= seqMod
		}
		if s.seen[slot(ext)] == ext+seqMod {
			return duplicate
		}
		if ext < s.base {
			// Older than the first packet we saw: the sender sent it
			// first, so it was expected all along.
			s.base = ext
		}
		out = late
	}
	s.badSeq = noBadSeq
	s.mark(ext)
	return out
}

func (s *sequence) mark(ext int64) { s.seen[slot(ext)] = ext + seqMod }

// slot is ext's place in the seen window; ext may be negative (a late
// packet from before the first wrap).
func slot(ext int64) int64 { return ((ext % seenWindow) + seenWindow) % seenWindow }
