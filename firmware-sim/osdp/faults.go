package osdp

import "time"

// Faults are the line and device faults a PD shows. They apply to the bytes
// on the line only: the PD still keeps its correct reply for a
// retransmission.
type Faults struct {
	// Silent: the PD answers nothing (unplugged, dead).
	Silent bool
	// Delay holds each reply back (a slow PD; over 200 ms the CP times out).
	Delay time.Duration
	// Noise writes this many random bytes on the line before a reply.
	Noise int
	// FlipBit flips one bit of a reply, so its CRC fails.
	FlipBit bool
	// Truncate sends only the first half of a reply.
	Truncate bool
	// ClearText answers in clear even inside a secure channel, as a reader
	// swapped for a rogue one would.
	ClearText bool
	// Every applies Noise, FlipBit and Truncate to every Nth reply only;
	// 0 and 1 mean every reply.
	Every int
}

// SetFaults replaces the PD's faults; the zero Faults is a healthy PD.
func (p *PD) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// lineFaults returns the faults that apply to the reply about to be sent.
func (p *PD) lineFaults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults
	p.replyNum++
	if f.Every > 1 && p.replyNum%f.Every != 0 {
		f.Noise, f.FlipBit, f.Truncate = 0, false, false
	}
	return f
}
