package dns

import "strconv"

// Names follow Zeek's base/protocols/dns/consts.zeek so that dns.log values
// match Zeek's byte for byte.

var typeNames = map[uint16]string{
	1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR",
	10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT",
	17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR",
	24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT",
	31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT",
	38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP",
	45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3",
	51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 56: "NINFO", 57: "RKEY",
	58: "TALINK", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD",
	64: "SVCB", 65: "HTTPS", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID",
	103: "UNSPEC", 104: "NID", 105: "L32", 106: "L64", 107: "LP", 108: "EUI48",
	109: "EUI64", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 253: "MAILB",
	254: "MAILA", 255: "*", 256: "URI", 257: "CAA", 32768: "TA", 32769: "DLV",
	65281: "WINS", 65282: "WINS-R", 65422: "XPF", 65521: "INTEGRITY",
}

var rcodeNames = map[uint16]string{
	0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
	6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSet", 9: "NOTAUTH", 10: "NOTZONE",
	11: "unassigned-11", 12: "unassigned-12", 13: "unassigned-13", 14: "unassigned-14",
	15: "unassigned-15", 16: "BADVERS", 17: "BADKEY", 18: "BADTIME", 19: "BADMODE",
	20: "BADNAME", 21: "BADALG", 22: "BADTRUNC", 23: "BADCOOKIE", 3842: "BADSIG",
}

var classNames = map[uint16]string{
	1: "C_INTERNET", 2: "C_CSNET", 3: "C_CHAOS", 4: "C_HESIOD", 254: "C_NONE", 255: "C_ANY",
}

var opcodeNames = [...]string{0: "query", 1: "iquery", 2: "server-status", 4: "notify", 5: "dynamic-update", 6: "dso"}

var netbiosOpcodeNames = [...]string{0: "netbios-query", 5: "netbios-registration", 6: "netbios-release", 7: "netbios-wack", 8: "netbios-refresh"}

// Well-known RR types and classes.
const (
	TypeA          = 1
	TypeNS         = 2
	TypeCNAME      = 5
	TypeSOA        = 6
	TypeWKS        = 11
	TypePTR        = 12
	TypeHINFO      = 13
	TypeMX         = 15
	TypeTXT        = 16
	TypeAAAA       = 28
	TypeLOC        = 29
	TypeNBS        = 32
	TypeSRV        = 33
	TypeNAPTR      = 35
	TypeA6         = 38
	TypeOPT        = 41
	TypeDS         = 43
	TypeSSHFP      = 44
	TypeRRSIG      = 46
	TypeNSEC       = 47
	TypeDNSKEY     = 48
	TypeNSEC3      = 50
	TypeNSEC3PARAM = 51
	TypeSVCB       = 64
	TypeHTTPS      = 65
	TypeSPF        = 99
	TypeTKEY       = 249
	TypeTSIG       = 250
	TypeANY        = 255
	TypeCAA        = 257
	TypeBINDS      = 65534

	ClassNONE = 254
	ClassANY  = 255
)

// TypeName is Zeek's query_types name ("A", "AAAA", "*", "query-N" …).
func TypeName(t uint16) string {
	if s := smallName(&typeTable, t); s != "" {
		return s
	}
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "query-" + strconv.Itoa(int(t))
}

// The names of the values below 256 (every class and rcode, nearly every
// type seen) as arrays: a record names its type, class and rcode, and an
// index costs a fraction of a map lookup. Values without a name, and the
// larger ones, fall back to the maps.
var typeTable, classTable, rcodeTable = nameTable(typeNames), nameTable(classNames), nameTable(rcodeNames)

func nameTable(names map[uint16]string) (t [256]string) {
	for v, s := range names {
		if v < uint16(len(t)) {
			t[v] = s
		}
	}
	return t
}

// smallName is v's name in t, "" when v has none there.
func smallName(t *[256]string, v uint16) string {
	if v < uint16(len(t)) {
		return t[v]
	}
	return ""
}

// appendTypeName appends TypeName(t) without allocating.
func appendTypeName(dst []byte, t uint16) []byte {
	if s := smallName(&typeTable, t); s != "" {
		return append(dst, s...)
	}
	if s, ok := typeNames[t]; ok {
		return append(dst, s...)
	}
	return strconv.AppendUint(append(dst, "query-"...), uint64(t), 10)
}

// ClassName is Zeek's classes name ("C_INTERNET", "qclass-N" …).
func ClassName(c uint16) string {
	if s := smallName(&classTable, c); s != "" {
		return s
	}
	if s, ok := classNames[c]; ok {
		return s
	}
	return "qclass-" + strconv.Itoa(int(c))
}

// RcodeName is Zeek's base_errors name ("NOERROR", "NXDOMAIN", "rcode-N" …).
func RcodeName(r uint16) string {
	if s := smallName(&rcodeTable, r); s != "" {
		return s
	}
	if s, ok := rcodeNames[r]; ok {
		return s
	}
	return "rcode-" + strconv.Itoa(int(r))
}

// OpcodeName is Zeek's opcodes (or, for NetBIOS name service, its
// netbios_opcodes) name.
func OpcodeName(op uint8, netbios bool) string {
	if netbios {
		if int(op) < len(netbiosOpcodeNames) && netbiosOpcodeNames[op] != "" {
			return netbiosOpcodeNames[op]
		}
		return "netbios-opcode-" + strconv.Itoa(int(op))
	}
	if int(op) < len(opcodeNames) && opcodeNames[op] != "" {
		return opcodeNames[op]
	}
	return "opcode-" + strconv.Itoa(int(op))
}
