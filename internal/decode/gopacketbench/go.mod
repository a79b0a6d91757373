// This nested module holds only the gopacket comparison benchmark, so that
// github.com/google/gopacket never becomes a dependency of Vigil itself.
module github.com/vigil-nsm/vigil/internal/decode/gopacketbench

go 1.26

require (
	github.com/google/gopacket v1.1.19
	github.com/vigil-nsm/vigil v0.0.0
)

replace github.com/vigil-nsm/vigil => ../../..
