package rdp

import "strconv"

// Names of the protocol's codes as rdp.log writes them (MS-RDPBCGR);
// unknown codes are "unknown-N", as in Zeek.

func securityProtocol(c uint32) string {
	switch c {
	case 0:
		return "RDP"
	case 1:
		return "SSL"
	case 2:
		return "HYBRID"
	case 4:
		return "RDSTLS"
	case 8:
		return "HYBRID_EX"
	}
	return "unknown-" + strconv.Itoa(int(c))
}

// failureCode names an RDP_NEG_FAILURE code (2.2.1.2.2).
func failureCode(c uint32) string {
	names := [...]string{1: "SSL_REQUIRED_BY_SERVER", 2: "SSL_NOT_ALLOWED_BY_SERVER", 3: "SSL_CERT_NOT_ON_SERVER",
		4: "INCONSISTENT_FLAGS", 5: "HYBRID_REQUIRED_BY_SERVER", 6: "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"}
	if c >= 1 && c < uint32(len(names)) {
		return names[c]
	}
	return "unknown-" + strconv.Itoa(int(c))
}

// gccResult names the result of the GCC conference create response
// (T.124).
func gccResult(c byte) string {
	names := [...]string{"Success", "User rejected", "Resources not available", "Rejected for symmetry breaking",
		"Locked conference"}
	if int(c) < len(names) {
		return names[c]
	}
	return "unknown-" + strconv.Itoa(int(c))
}

// highColorDepth names the client core data's highColorDepth.
func highColorDepth(c uint16) string {
	switch c {
	case 4, 8, 15, 16, 24:
		return strconv.Itoa(int(c)) + "bit"
	}
	return "unknown-" + strconv.Itoa(int(c))
}

// encryptionMethod names the server security data's encryptionMethod.
func encryptionMethod(c uint32) string {
	switch c {
	case 0:
		return "None"
	case 1:
		return "40bit"
	case 2:
		return "128bit"
	case 8:
		return "56bit"
	case 0x10:
		return "FIPS"
	}
	return "unknown-" + strconv.Itoa(int(c))
}

// encryptionLevel names the server security data's encryptionLevel.
func encryptionLevel(c uint32) string {
	names := [...]string{"None", "Low", "Client compatible", "High", "FIPS"}
	if c < uint32(len(names)) {
		return names[c]
	}
	return "unknown-" + strconv.Itoa(int(c))
}
