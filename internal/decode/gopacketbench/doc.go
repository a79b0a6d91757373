// Package gopacketbench compares Vigil's hand-written decoder with
// gopacket's DecodingLayerParser on the same frame. It is a separate module
// (see go.mod) so that gopacket stays out of Vigil's dependency graph; run
// it with
//
//	cd internal/decode/gopacketbench && go test -bench . -benchmem
package gopacketbench
