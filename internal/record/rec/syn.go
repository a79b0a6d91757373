package rec

import "net/netip"

// SYN is a "_syn" packet fact's fields (a TCP SYN's or SYN-ACK's
// fingerprint: internal/analyze/facts.go) as the packet reader that
// writes the line knows them, handed with it (Shared.ResetSYN): its one
// reader, the inventory, then neither indexes the line nor turns its
// text back into numbers. They are the values a reader of the line gets;
// the fields it lacks read as absent ones do.
type SYN struct {
	TS            float64    // the line's ts, as its digits read
	Src, Dst      netip.Addr // as ParseAddr reads src and dst
	SrcP, DstP    uint16
	SrcMAC        Span // src_mac's raw value (zero when absent)
	Opts          Span // opts' raw value: the option kinds as letters
	TTL, Win, MSS uint16
	WScale        int // -1 when absent
	DF, Ack       bool
}

// SYN returns the fields of a "_syn" fact handed with them
// (Shared.ResetSYN), or nil: then read the fields by key.
func (r *Rec) SYN() *SYN {
	if !r.hasSYN {
		return nil
	}
	return &r.syn
}

// ResetSYN makes s hold a "_syn" fact's line that its producer wrote,
// with y, its fields (see SYN): readers of SYN never index the line, the
// first reader of a field by key does.
func (s *Shared) ResetSYN(log string, line []byte, y *SYN) {
	r := s.holdLazy(log, line, y.TS)
	r.connDone, r.hasHTTP, r.syn, r.hasSYN = false, false, *y, true
}
