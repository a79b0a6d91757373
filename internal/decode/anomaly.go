package decode

// AnomalyKind is a typed decoder or reassembly anomaly. Its String is the
// name written to weird.log; names follow Zeek's weird names where Zeek has
// one, so analysts can grep the same strings.
type AnomalyKind uint16

// Anomaly is one anomaly seen on a packet. Detail carries a kind-specific
// number (an unknown protocol value, a bad length, an offset).
type Anomaly struct {
	Kind   AnomalyKind
	Detail uint32
}

// Anomaly kinds. Append new kinds at the end and give each a name below.
const (
	AnomalyNone                  AnomalyKind = iota
	AnomalyTruncatedLink                     // frame shorter than its link header
	AnomalyTruncatedHeader                   // an IP header (or its IPv6 extension chain) cut by the snap length or frame end
	AnomalyTruncatedIP                       // IP length field larger than the packet was on the wire (not only a snap-length cut)
	AnomalyIPv4MinHeader                     // IPv4 IHL < 5 (Zeek's IPv4_min_header_size)
	AnomalyBadIPVersion                      // version nibble does not match the link's claim
	AnomalyBadIPChecksum                     // IPv4 header checksum mismatch
	AnomalyIPLenTooSmall                     // IP total length smaller than its header (not 0: AnomalyIPLenZero)
	AnomalyBadTCPHeaderLen                   // TCP data offset < 5 or beyond the segment
	AnomalyTruncatedTCP                      // TCP header longer than its datagram (or its options cut): Zeek's truncated_header
	AnomalyTruncatedUDP                      // UDP header cut
	AnomalyBadUDPLen                         // UDP length inconsistent with the IP payload
	AnomalyTruncatedICMP                     // ICMP header cut
	AnomalyUnknownEtherType                  // EtherType not decoded (Detail = value)
	AnomalyUnknownIPProto                    // IP protocol not decoded (Detail = value)
	AnomalyUnknownIPv6NextHeader             // unknown next header in the v6 chain (Detail = value)
	AnomalyExcessiveExtHeaders               // IPv6 chain longer than the limit
	AnomalyRoutingType0                      // IPv6 routing header type 0 (RFC 5095)
	AnomalyHopByHopNotFirst                  // hop-by-hop header not directly after IPv6 (RFC 8200)
	AnomalyTunnelTooDeep                     // more nested tunnels than MaxTunnels
	AnomalyBadGRE                            // GRE header malformed or unsupported version
	AnomalyBadVXLAN                          // VXLAN header malformed
	AnomalyBadGeneve                         // Geneve header malformed
	AnomalyBadTeredo                         // Teredo packet malformed
	AnomalyBadGTP                            // GTP-U header malformed
	AnomalyBadMPLS                           // MPLS label stack malformed or too deep
	AnomalyBadPPPoE                          // PPPoE session header malformed
	AnomalyTruncatedARP                      // ARP packet cut
	AnomalyFragmentOverlap                   // overlapping fragments (RFC 5722)
	AnomalyFragmentInconsistent              // overlapping fragments with different bytes
	AnomalyAtomicFragment                    // fragment header with offset 0 and M=0 (RFC 6946)
	AnomalyTinyFirstFragment                 // header chain not in the first fragment (RFC 7112)
	AnomalyOversizedFragment                 // reassembled datagram beyond 65535 bytes
	AnomalyFragmentTimeout                   // fragments dropped unreassembled at timeout
	AnomalyFragmentMemoryCap                 // fragments dropped because the memory cap was hit
	AnomalyFragmentSizeMismatch              // last fragment disagrees with an earlier total
	AnomalyInnerNotIP                        // tunnel payload is not an IP packet
	AnomalyBadSCTP                           // SCTP common header cut
	AnomalyBadIPv6ExtLen                     // extension header length runs past the packet
	AnomalyLandAttack                        // source equals destination address and port
	AnomalyBadTCPFlags                       // impossible flag combination (SYN+FIN, none; SYN+RST is AnomalyTCPChristmas)
	AnomalyFlowTableFull                     // a flow was evicted early because the table was full
	AnomalyNDPInFragment                     // NDP message inside a fragment (RFC 6980)
	AnomalyUnknownLinkType                   // pcap link type not decoded (Detail = value)
	AnomalyTeredoBubblePayload               // Teredo bubble followed by bytes (Detail = their count)
	AnomalyAYIYAEmpty                        // AYIYA forward without a packet
	AnomalyRexmitInconsistency               // a TCP retransmission with other bytes than the first copy
	AnomalyTruncatedEthernet                 // Ethernet frame shorter than its 14-byte header
	AnomalyGeneveEmpty                       // Geneve header with nothing after it
	AnomalyInternallyTruncated               // IPv4 header (IHL) or a transport header cut by the capture, not the datagram
	AnomalyIncompleteFragment                // fragment cut by the snap length: not reassembled
	AnomalyTCPChristmas                      // SYN with RST (Zeek's TCP_christmas)
	AnomalyBaroqueSYN                        // SYN with URG (Zeek's baroque_SYN)
	AnomalySYNWithData                       // SYN carrying data (Zeek's SYN_with_data; TCP Fast Open does it)
	AnomalyIPLenZero                         // IPv4 total length 0 (segmentation offload): the captured length is used
	anomalyKindCount
)

var anomalyNames = [anomalyKindCount]string{
	AnomalyRexmitInconsistency:   "rexmit_inconsistency",
	AnomalyNone:                  "none",
	AnomalyTruncatedLink:         "truncated_link_header",
	AnomalyTruncatedHeader:       "truncated_IP",
	AnomalyTruncatedIP:           "truncated_IP_len",
	AnomalyIPv4MinHeader:         "IPv4_min_header_size",
	AnomalyBadIPVersion:          "bad_IP_version",
	AnomalyBadIPChecksum:         "bad_IP_checksum",
	AnomalyIPLenTooSmall:         "invalid_IP_header_size",
	AnomalyBadTCPHeaderLen:       "bad_TCP_header_len",
	AnomalyTruncatedTCP:          "truncated_header",
	AnomalyTruncatedUDP:          "truncated_UDP_header",
	AnomalyBadUDPLen:             "bad_UDP_len",
	AnomalyTruncatedICMP:         "truncated_ICMP_header",
	AnomalyUnknownEtherType:      "unknown_ether_type",
	AnomalyUnknownIPProto:        "unknown_protocol",
	AnomalyUnknownIPv6NextHeader: "unknown_ipv6_next_header",
	AnomalyExcessiveExtHeaders:   "excessive_ipv6_extension_headers",
	AnomalyRoutingType0:          "routing0_hdr",
	AnomalyHopByHopNotFirst:      "ipv6_hop_by_hop_not_first",
	AnomalyTunnelTooDeep:         "exceeded_tunnel_max_depth",
	AnomalyBadGRE:                "gre_malformed",
	AnomalyBadVXLAN:              "vxlan_malformed",
	AnomalyBadGeneve:             "geneve_malformed",
	AnomalyBadTeredo:             "teredo_malformed",
	AnomalyBadGTP:                "gtp_malformed",
	AnomalyBadMPLS:               "mpls_malformed",
	AnomalyBadPPPoE:              "pppoe_malformed",
	AnomalyTruncatedARP:          "truncated_ARP",
	AnomalyFragmentOverlap:       "fragment_overlap",
	AnomalyFragmentInconsistent:  "fragment_inconsistency",
	AnomalyAtomicFragment:        "atomic_fragment",
	AnomalyTinyFirstFragment:     "ipv6_header_chain_not_in_first_fragment",
	AnomalyOversizedFragment:     "excessively_large_fragment",
	AnomalyFragmentTimeout:       "fragment_reassembly_timeout",
	AnomalyFragmentMemoryCap:     "fragment_memory_cap_reached",
	AnomalyFragmentSizeMismatch:  "fragment_size_inconsistency",
	AnomalyInnerNotIP:            "tunnel_payload_not_ip",
	AnomalyBadSCTP:               "truncated_SCTP_header",
	AnomalyBadIPv6ExtLen:         "bad_ipv6_extension_header_len",
	AnomalyLandAttack:            "land_attack",
	AnomalyBadTCPFlags:           "bad_TCP_flags",
	AnomalyFlowTableFull:         "flow_table_full_eviction",
	AnomalyNDPInFragment:         "ndp_in_fragment",
	AnomalyUnknownLinkType:       "unknown_link_type",
	AnomalyTeredoBubblePayload:   "Teredo_bubble_with_payload",
	AnomalyAYIYAEmpty:            "ayiya_empty_packet",
	AnomalyTruncatedEthernet:     "truncated_ethernet_frame",
	AnomalyGeneveEmpty:           "geneve_empty_packet",
	AnomalyInternallyTruncated:   "internally_truncated_header",
	AnomalyIncompleteFragment:    "incompletely_captured_fragment",
	AnomalyTCPChristmas:          "TCP_christmas",
	AnomalyBaroqueSYN:            "baroque_SYN",
	AnomalySYNWithData:           "SYN_with_data",
	AnomalyIPLenZero:             "ip_hdr_len_zero",
}

// zeekBare are the kinds whose weird Zeek logs without addl: their
// Detail is not written to weird.log either (the summary still counts
// them), so that the lines read as Zeek's.
var zeekBare = [anomalyKindCount]bool{
	AnomalyTruncatedHeader: true, AnomalyTruncatedIP: true, AnomalyInternallyTruncated: true,
	AnomalyTruncatedTCP: true, AnomalyBadIPChecksum: true, AnomalyRoutingType0: true,
	AnomalyOversizedFragment: true, AnomalyTruncatedEthernet: true, AnomalyGeneveEmpty: true,
	AnomalyIncompleteFragment: true, AnomalyTCPChristmas: true, AnomalyBaroqueSYN: true, AnomalySYNWithData: true,
	AnomalyIPv4MinHeader: true, AnomalyIPLenTooSmall: true, AnomalyIPLenZero: true,
}

// WeirdAddl reports whether weird.log writes the anomaly's Detail as
// addl (Zeek writes none for some of its weirds).
func (k AnomalyKind) WeirdAddl() bool { return k >= anomalyKindCount || !zeekBare[k] }

// String returns the weird.log name of the anomaly.
func (k AnomalyKind) String() string {
	if k < anomalyKindCount && anomalyNames[k] != "" {
		return anomalyNames[k]
	}
	return "unknown_anomaly"
}

// AnomalyKinds returns every defined kind (for counters and tests).
func AnomalyKinds() []AnomalyKind {
	out := make([]AnomalyKind, 0, anomalyKindCount-1)
	for k := AnomalyKind(1); k < anomalyKindCount; k++ {
		out = append(out, k)
	}
	return out
}
