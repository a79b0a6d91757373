package ftp

import (
	"net/netip"
	"strconv"
	"strings"
)

// replyCodes is Zeek's FTP::cmd_reply_code: the reply codes each command
// expects.
var replyCodes = map[string][]int{
	"<init>":    {120, 220, 421, 0},
	"USER":      {230, 331, 332, 421, 530, 500, 501},
	"PASS":      {230, 202, 332, 421, 530, 500, 501, 503},
	"ACCT":      {230, 202, 421, 530, 500, 501, 503},
	"CWD":       {250, 421, 500, 501, 502, 530, 550},
	"CDUP":      {200, 250, 421, 500, 501, 502, 530, 550},
	"SMNT":      {202, 250, 421, 500, 501, 502, 530, 550},
	"REIN":      {120, 220, 421, 500, 502},
	"QUIT":      {221, 500, 0},
	"PORT":      {200, 421, 500, 501, 530},
	"PASV":      {227, 421, 500, 501, 502, 530},
	"MODE":      {200, 421, 500, 501, 502, 504, 530},
	"TYPE":      {200, 421, 500, 501, 504, 530},
	"STRU":      {200, 421, 500, 501, 504, 530},
	"ALLO":      {200, 202, 421, 500, 501, 504, 530},
	"REST":      {200, 350, 421, 500, 501, 502, 530},
	"STOR":      {110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500, 501, 530, 550},
	"STOU":      {110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500, 501, 530, 550},
	"RETR":      {110, 125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 530, 550},
	"LIST":      {125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550},
	"NLST":      {125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550},
	"APPE":      {125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 550, 452, 553, 500, 501, 502, 530},
	"RNFR":      {350, 421, 450, 550, 500, 501, 502, 530},
	"RNTO":      {250, 421, 532, 553, 500, 501, 502, 503, 530},
	"DELE":      {250, 421, 450, 550, 500, 501, 502, 530},
	"RMD":       {250, 421, 500, 501, 502, 530, 550},
	"MKD":       {257, 421, 500, 501, 502, 530, 550},
	"PWD":       {257, 421, 500, 501, 502, 550},
	"ABOR":      {225, 226, 421, 500, 501, 502},
	"SYST":      {215, 421, 500, 501, 502, 530},
	"STAT":      {211, 212, 213, 421, 450, 500, 501, 502, 530},
	"HELP":      {200, 211, 214, 421, 500, 501, 502},
	"SITE":      {200, 202, 214, 500, 501, 502, 530},
	"NOOP":      {200, 421, 500},
	"LPRT":      {500, 501, 521},
	"FEAT":      {211, 500, 502},
	"OPTS":      {200, 451, 501},
	"EPSV":      {229, 500, 501},
	"EPRT":      {200, 500, 501, 522},
	"SIZE":      {213, 500, 501, 550},
	"MDTM":      {213, 500, 501, 550},
	"MLST":      {150, 226, 250, 500, 501, 550},
	"MLSD":      {150, 226, 250, 500, 501, 550},
	"CLNT":      {200, 500},
	"MACB":      {200, 500, 550},
	"<missing>": {0},
}

func expectedReply(cmd string, code int) bool {
	for _, c := range replyCodes[cmd] {
		if c == code {
			return true
		}
	}
	return false
}

// atoiPrefix reads an optionally signed decimal after optional blanks
// (C's %d) and returns it with the rest; ok is false without digits.
func atoiPrefix(s string) (n int, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\r\n\v\f")
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		if n < 1<<20 {
			n = n*10 + int(s[j]-'0')
		}
		j++
	}
	if j == i {
		return 0, s, false
	}
	if neg {
		n = -n
	}
	return n, s[j:], true
}

// parseSix is Zeek's parse_port: "h1,h2,h3,h4,p1,p2".
func parseSix(s string) (netip.Addr, uint16, bool) {
	var v [6]int
	for i := range v {
		n, rest, ok := atoiPrefix(s)
		if !ok || n < 0 || n > 255 {
			return netip.Addr{}, 0, false
		}
		v[i] = n
		s = rest
		if i < 5 {
			if len(s) == 0 || s[0] != ',' {
				return netip.Addr{}, 0, false
			}
			s = s[1:]
		}
	}
	a := netip.AddrFrom4([4]byte{byte(v[0]), byte(v[1]), byte(v[2]), byte(v[3])})
	return a, uint16(v[4]<<8 | v[5]), true
}

// parsePort is Zeek's parse_ftp_port (the PORT argument).
func parsePort(arg string) (netip.Addr, uint16, bool) { return parseSix(arg) }

// parsePASV is Zeek's parse_ftp_pasv: the numbers after '(' or, without
// one, from the first digit.
func parsePASV(msg string) (netip.Addr, uint16, bool) {
	if i := strings.IndexByte(msg, '('); i >= 0 {
		return parseSix(msg[i+1:])
	}
	i := 0
	for i < len(msg) && !isDigit(msg[i]) {
		i++
	}
	return parseSix(msg[i:])
}

// parseEPRT is Zeek's parse_eftp_port: "|proto|addr|port|" with any
// delimiter; an empty address is the unspecified IPv6 address.
func parseEPRT(s string) (netip.Addr, uint16, bool) {
	if len(s) < 1 {
		return netip.Addr{}, 0, false
	}
	d := s[0]
	parts := strings.SplitN(s[1:], string(d), 4)
	if len(parts) < 4 {
		return netip.Addr{}, 0, false
	}
	if parts[0] != "" && (len(parts[0]) != 1 || !isDigit(parts[0][0])) {
		return netip.Addr{}, 0, false
	}
	a := netip.IPv6Unspecified()
	if parts[1] != "" {
		x, err := netip.ParseAddr(parts[1])
		if err != nil {
			return netip.Addr{}, 0, false
		}
		a = x
	}
	p, err := strconv.Atoi(parts[2])
	if err != nil || p < 0 || p > 65535 {
		return netip.Addr{}, 0, false
	}
	return a, uint16(p), true
}

// parseEPSV is Zeek's parse_ftp_epsv: the EPRT form after '('.
func parseEPSV(msg string) (netip.Addr, uint16, bool) {
	i := strings.IndexByte(msg, '(')
	if i < 0 {
		return netip.Addr{}, 0, false
	}
	return parseEPRT(msg[i+1:])
}

// lastCount is Zeek's extract_count(s, F): the last decimal number in s
// (0 without one).
func lastCount(s string) uint64 {
	end := -1
	for i := len(s) - 1; i >= 0; i-- {
		if isDigit(s[i]) {
			end = i + 1
			break
		}
	}
	if end < 0 {
		return 0
	}
	start := end - 1
	for start > 0 && isDigit(s[start-1]) {
		start--
	}
	n, err := strconv.ParseUint(s[start:end], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func isAbsolute(p string) bool {
	if strings.HasPrefix(p, "/") {
		return true
	}
	return len(p) >= 3 && ((p[0]|0x20) >= 'a' && (p[0]|0x20) <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// buildPathCompressed is Zeek's build_path_compressed.
func buildPathCompressed(dir, file string) string {
	var p string
	switch {
	case isAbsolute(file) || dir == "":
		p = file
	case strings.HasSuffix(dir, "/"):
		p = dir + file
	default:
		p = dir + "/" + file
	}
	return compressPath(p)
}

// compressPath is Zeek's compress_path: "x/.." pairs removed, runs of
// "/" and "/." collapsed, trailing slashes dropped.
func compressPath(p string) string {
	abs := strings.HasPrefix(p, "/")
	parts := strings.Split(p, "/")
	var out []string
	for i, c := range parts {
		switch {
		case c == "":
			continue
		case c == "." && (i > 0 || abs):
			continue
		case c == "..":
			if n := len(out); n > 0 && out[n-1] != ".." {
				out = out[:n-1]
				continue
			}
			if abs {
				continue
			}
		}
		out = append(out, c)
	}
	r := strings.Join(out, "/")
	if abs {
		r = "/" + r
		if r != "/" {
			return r
		}
		return ""
	}
	return r
}

// extractPath is Zeek's extract_path: the first quoted absolute path in
// s, else the first absolute path (up to a blank or quote).
func extractPath(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '"' || i+1 >= len(s) || !isAbsolute(s[i+1:]) {
			continue
		}
		if j := strings.IndexByte(s[i+1:], '"'); j >= 0 {
			return s[i+1 : i+1+j]
		}
	}
	for i := 0; i < len(s); i++ {
		if isAbsolute(s[i:]) {
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '"' {
				j++
			}
			return s[i:j]
		}
	}
	return ""
}
