package smtp

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// newLog is Zeek's new_smtp_log.
func (a *Analyzer) newLog() *info {
	l := &info{ts: a.now, depth: a.messages + 1}
	if a.hasStateHelo {
		l.helo, l.hasHelo = a.stateHelo, true
	}
	if a.ci != nil {
		l.path = []netip.Addr{a.ci.RespH, a.ci.OrigH}
	}
	return l
}

func (a *Analyzer) session() {
	if a.cur == nil {
		a.cur = a.newLog()
	}
}

// message is Zeek's smtp_message: the transaction is written if the
// client did something in it.
func (a *Analyzer) message() {
	if a.cur != nil && a.cur.clientActivity {
		a.write(a.cur)
		a.cur = a.newLog()
	}
}

func addUnique(list []string, v string, limit int) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	if len(list) >= limit {
		return list
	}
	return append(list, v)
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

// request is the smtp_request event handler of main.zeek.
func (a *Analyzer) request(cmd, arg string) {
	a.session()
	l := a.cur
	switch up := strings.ToUpper(cmd); {
	case up == "HELO" || up == "EHLO":
		a.stateHelo, a.hasStateHelo = arg, true
		l.helo, l.hasHelo = arg, true
	case up == "RCPT" && hasPrefixFold(arg, "to:"):
		l.hasRcpt = true
		for _, r := range extractEmails(arg) {
			r = stripORCPT(r)
			l.rcptto = addUnique(l.rcptto, r, MaxAddrs)
		}
		l.clientActivity = true
		a.rcptToSeen = true
		if !a.mailFromSeen {
			a.transactionInvalid("rcpt to missing mail from")
		}
	case up == "MAIL" && hasPrefixFold(arg, "from:"):
		a.message()
		l = a.cur
		if e := extractEmails(arg); len(e) > 0 && e[0] != "" {
			l.mailfrom, l.hasMailfrom = e[0], true
		}
		l.clientActivity = true
		a.mailFromSeen = true
		a.rcptToSeen = false
	case up == "DATA" || up == "BDAT":
		if !a.rcptToSeen {
			a.transactionInvalid("data missing rcpt to")
		}
		if up == "BDAT" && strings.HasSuffix(arg, " LAST") {
			a.mailFromSeen, a.rcptToSeen = false, false
			a.bdatLastSeen = true
		}
	case up == ".":
		a.mailFromSeen, a.rcptToSeen = false, false
	}
}

// maxInvalidTransactions is Zeek's SMTP::max_invalid_mail_transactions.
const maxInvalidTransactions = 25

// transactionInvalid is main.zeek's mail_transaction_invalid: a weird
// (Zeek logs smtp_mail_transaction_invalid once per connection), and past
// maxInvalidTransactions smtp_excessive_invalid_mail_transactions.
// Zeek then disables the analyzer; this one goes on.
func (a *Analyzer) transactionInvalid(why string) {
	a.weird("smtp_mail_transaction_invalid", why)
	if a.invalid++; a.invalid > maxInvalidTransactions {
		a.weird("smtp_excessive_invalid_mail_transactions", "")
	}
}

// stripORCPT is gsub(addr, /ORCPT=rfc822;?/, "").
func stripORCPT(s string) string {
	for {
		i := strings.Index(s, "ORCPT=rfc822")
		if i < 0 {
			return s
		}
		j := i + len("ORCPT=rfc822")
		if j < len(s) && s[j] == ';' {
			j++
		}
		s = s[:i] + s[j:]
	}
}

// reply is the smtp_reply event handlers of main.zeek.
func (a *Analyzer) reply(code int, cmd, msg string, cont bool) {
	a.session()
	if code == 220 && cmd == "" && a.banner == "" && !cont {
		a.banner = msg[:min(len(msg), 256)] // the greeting: server software, for the inventory
	}
	a.cur.lastReply = strconv.Itoa(code) + " " + msg
	a.cur.has |= hLastReply
	if cmd == "." || (!cont && cmd == "BDAT" && a.bdatLastSeen) {
		a.messages++
		a.bdatLastSeen = false
		a.message()
		a.cur = a.newLog()
	}
}

// starttls is the smtp_starttls event handler.
func (a *Analyzer) starttls() {
	a.tls = true
	if a.cur != nil {
		a.cur.tls = true
		a.cur.clientActivity = true
	}
}

// header is the mime_one_header event handlers of main.zeek (top-level
// headers only).
func (a *Analyzer) header(name, value string) {
	l := a.cur
	if l == nil {
		return
	}
	switch name {
	case "MESSAGE-ID":
		l.msgID = value
		l.has |= hMsgID
	case "RECEIVED":
		if l.has&hReceived1 != 0 {
			l.received2 = l.received1
			l.has |= hReceived2
		}
		l.received1 = value
		l.has |= hReceived1
		if ip := findAddressInHeader(value); ip.IsValid() {
			if n := len(l.path); (n == 0 || l.path[n-1] != ip) && n < MaxPath {
				l.path = append(l.path, ip)
			}
		}
	case "IN-REPLY-TO":
		l.inReplyTo = value
		l.has |= hInReplyTo
	case "SUBJECT":
		l.subject = value
		l.has |= hSubject
	case "FROM":
		l.from = value
		l.has |= hFrom
	case "REPLY-TO":
		l.replyTo = value
		l.has |= hReplyTo
	case "DATE":
		l.date = value
		l.has |= hDate
	case "TO":
		l.hasTo = true
		for _, e := range splitMIMEAddresses(value) {
			l.to = addUnique(l.to, e, MaxAddrs)
		}
	case "CC":
		l.hasCc = true
		for _, e := range splitMIMEAddresses(value) {
			l.cc = addUnique(l.cc, e, MaxAddrs)
		}
	case "X-ORIGINATING-IP":
		if ips := extractIPs(value, false); len(ips) > 0 {
			l.xOrigIP = ips[0]
		}
	case "X-MAILER", "USER-AGENT", "X-USER-AGENT":
		l.userAgent = value
		l.has |= hUserAgent
	}
}

// End implements proto.Analyzer (Zeek's finalize_smtp).
func (a *Analyzer) End(ts int64) {
	a.flushHeader()
	if a.cur != nil {
		a.message()
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// extractEmails is Zeek's extract_email_addrs_vec: local@domain tokens
// delimited by <, ',', ':' or blanks, with <>,:; and blanks removed.
func extractEmails(s string) []string {
	var out []string
	isLocalDelim := func(c byte) bool { return c == '<' || c == ',' || c == ':' || isBlank(c) }
	pos := 0
	for pos < len(s) && len(out) < MaxAddrs {
		found := false
		for k := pos; k < len(s); k++ {
			if k > 0 && !(k-1 >= pos && isLocalDelim(s[k-1])) {
				continue
			}
			j := k
			for j < len(s) && !isLocalDelim(s[j]) && s[j] != '@' {
				j++
			}
			if j == k || j >= len(s) || s[j] != '@' {
				continue
			}
			d := j + 1
			e := d
			for e < len(s) && s[e] != '>' && s[e] != ',' && s[e] != ';' && !isBlank(s[e]) {
				e++
			}
			if e == d {
				continue
			}
			m := s[k:e]
			if e < len(s) {
				e++ // the closing delimiter belongs to the match
			}
			out = append(out, strings.Map(func(r rune) rune {
				switch r {
				case '<', '>', ',', ':', ';', ' ', '\t':
					return -1
				}
				return r
			}, m))
			pos = e
			found = true
			break
		}
		if !found {
			break
		}
	}
	return out
}

// splitMIMEAddresses is Zeek's split_mime_email_addresses: the
// comma-separated parts (commas inside double quotes do not split),
// blanks stripped.
func splitMIMEAddresses(s string) []string {
	var out []string
	quoted := false
	start := 0
	add := func(p string) {
		p = strings.Trim(p, " \t\r\n")
		if p != "" && len(out) < MaxAddrs {
			out = append(out, p)
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				add(s[start:i])
				start = i + 1
			}
		}
	}
	add(s[start:])
	return out
}

func isIPChar(c byte) bool {
	return isDigit(c) || c == '.' || c == ':' || (c|0x20) >= 'a' && (c|0x20) <= 'f'
}

// extractIPs is Zeek's extract_ip_addresses: addresses in s; with
// wrapped, only those enclosed in [], (), {} or blanks (or the whole
// string).
func extractIPs(s string, wrapped bool) []netip.Addr {
	var out []netip.Addr
	for i := 0; i < len(s) && len(out) < 16; {
		if !isIPChar(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isIPChar(s[j]) {
			j++
		}
		tok := s[i:j]
		lo, hi := i, j
		// An IPv6 literal in "[IPv6:…]" starts after the tag.
		if k := strings.LastIndex(strings.ToLower(tok), "v6:"); k >= 0 {
			tok = tok[k+3:]
			lo = i + k + 3
		}
		tok = strings.TrimRight(tok, ".:")
		hi = lo + len(tok)
		if ip, err := netip.ParseAddr(tok); err == nil && (ip.Is4() || strings.Contains(tok, ":")) && strings.Count(tok, ".") != 1 {
			ok := !wrapped
			if wrapped {
				var p, q byte
				if lo > 0 {
					p = s[lo-1]
				}
				if hi < len(s) {
					q = s[hi]
				}
				ok = (lo == 0 && hi == len(s)) || (p == '[' && q == ']') || (p == '(' && q == ')') ||
					(p == '{' && q == '}') || (p == ' ' && q == ' ') ||
					(p == ':' && q == ']') // "[IPv6:addr]"
			}
			if ok {
				out = append(out, ip)
			}
		}
		i = j
	}
	return out
}

// findAddressInHeader is Zeek's find_address_in_smtp_header: the second
// wrapped address of a Received header if there are several, else the
// first.
func findAddressInHeader(h string) netip.Addr {
	ips := extractIPs(h, true)
	switch {
	case len(ips) > 1:
		return ips[1]
	case len(ips) == 1:
		return ips[0]
	}
	return netip.Addr{}
}

// write encodes l as one smtp.log JSON object (Zeek's field names and
// order; unset optional fields omitted).
func (a *Analyzer) write(l *info) {
	if a.out == nil {
		return
	}
	b := a.buf[:0]
	b = proto.AppendConnHeader(b, l.ts, a.ci)
	b = append(b, `,"trans_depth":`...)
	b = strconv.AppendInt(b, int64(l.depth), 10)
	if l.hasHelo {
		b = record.AppendStringField(b, "helo", l.helo)
	}
	if l.hasMailfrom {
		b = record.AppendStringField(b, "mailfrom", l.mailfrom)
	}
	if l.hasRcpt {
		b = record.AppendStringsField(b, "rcptto", l.rcptto)
	}
	b = opt(b, l, hDate, "date", l.date)
	b = opt(b, l, hFrom, "from", l.from)
	if l.hasTo {
		b = record.AppendStringsField(b, "to", l.to)
	}
	if l.hasCc {
		b = record.AppendStringsField(b, "cc", l.cc)
	}
	b = opt(b, l, hReplyTo, "reply_to", l.replyTo)
	b = opt(b, l, hMsgID, "msg_id", l.msgID)
	b = opt(b, l, hInReplyTo, "in_reply_to", l.inReplyTo)
	b = opt(b, l, hSubject, "subject", l.subject)
	if l.xOrigIP.IsValid() {
		b = record.AppendAddrField(b, "x_originating_ip", l.xOrigIP)
	}
	b = opt(b, l, hReceived1, "first_received", l.received1)
	b = opt(b, l, hReceived2, "second_received", l.received2)
	b = opt(b, l, hLastReply, "last_reply", l.lastReply)
	if len(l.path) > 0 {
		b = append(b, `,"path":[`...)
		for i, p := range l.path {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			if p.IsValid() {
				b = p.Unmap().AppendTo(b)
			}
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	b = opt(b, l, hUserAgent, "user_agent", l.userAgent)
	b = append(b, `,"tls":`...)
	b = strconv.AppendBool(b, l.tls)
	if a.banner != "" {
		// Vigil's addition after Zeek's fields: the server's greeting.
		b = record.AppendStringField(b, "banner", a.banner)
	}
	b = append(b, '}')
	a.buf = b
	a.out.Record("smtp", b)
}

func opt(b []byte, l *info, bit uint16, k, v string) []byte {
	if l.has&bit == 0 {
		return b
	}
	return record.AppendStringField(b, k, v)
}
