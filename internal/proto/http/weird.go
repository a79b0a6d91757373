package http

import (
	"bytes"
	"math"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// httpWeird is one of the weirds Zeek's HTTP analyzer and scripts report
// that the analyzer reports too (weird.log).
type httpWeird uint8

const (
	weirdBadRequest            httpWeird = iota // a request line that does not parse
	weirdBadRequestWithVersion                  // … that has no method but ends in a version
	weirdEmptyRequest                           // an empty line where a request was expected
	weirdMissingURI                             // "GET HTTP/1.1"
	weirdHTTP09Method                           // an HTTP/0.9 request other than GET (addl: the method)
	weirdUnknownMethod                          // a method not in Zeek's HTTP::http_methods (addl: it)
	weirdVersionMismatch                        // a side's version changed within the connection
	weirdResponseFirst                          // a request after more replies than requests
	weirdPipelining                             // more requests pending than MaxPending
	weirdMultipleRequests                       // a second request without keep-alive
	weird09ReplyFirst                           // an HTTP/0.9 request while a reply is under way
	weirdBadChunkSize                           // a chunk-size line that is no number (addl: it)
	weirdBadCL                                  // a Content-Length that is no number (addl: it)
	weirdCLLeadingZeros                         // a Content-Length with leading zeros (addl: it)
	weirdCLAndChunked                           // Content-Length and chunked Transfer-Encoding
	weirdChunkedMulti                           // chunked and more codings (addl: the rest)
	weirdCL0Expect100                           // Content-Length 0 and Expect
	weirdExpectNot100                           // Expect other than 100-continue (addl: it)
	weirdObsoleteFolding                        // a header folded over lines (addl: its name)
	weirdRangeAndChunked                        // Content-Range and chunked
	weirdRangeUnit                              // a Content-Range in other units than bytes
	weirdRangeCannotParse                       // a Content-Range that does not parse
	weirdRangeInvalid                           // a Content-Range with a negative position
	weirdRangeNonPositive                       // a Content-Range that ends before it starts
	weirdRangeOverflow                          // a Content-Range as long as an int64 can count
	weirdRangeInstance                          // a Content-Range whose total is no number
	weirdRangeLen                               // a Content-Range and a Content-Length that differ
	weirdIllegalPercent                         // a URI that ends in %
	weirdPartialEscape                          // a URI that ends in %X
	weirdDoublePercent                          // a URI with %%
	weirdUnescapedPercent                       // a URI with % and no escape after it
)

var weirdNames = [...]string{
	weirdBadRequest:            "bad_HTTP_request",
	weirdBadRequestWithVersion: "bad_HTTP_request_with_version",
	weirdEmptyRequest:          "empty_http_request",
	weirdMissingURI:            "missing_HTTP_uri",
	weirdHTTP09Method:          "invalid_http_09_request_method",
	weirdUnknownMethod:         "unknown_HTTP_method",
	weirdVersionMismatch:       "HTTP_version_mismatch",
	weirdResponseFirst:         "HTTP_response_before_request",
	weirdPipelining:            "HTTP_excessive_pipelining",
	weirdMultipleRequests:      "unexpected_multiple_HTTP_requests",
	weird09ReplyFirst:          "http_09_reply_before_request",
	weirdBadChunkSize:          "HTTP_bad_chunk_size",
	weirdBadCL:                 "HTTP_bad_content_length",
	weirdCLLeadingZeros:        "HTTP_content_length_leading_zeros",
	weirdCLAndChunked:          "HTTP_content_length_and_chunked",
	weirdChunkedMulti:          "HTTP_chunked_multi",
	weirdCL0Expect100:          "HTTP_content_length_0_and_expect_100_cont",
	weirdExpectNot100:          "HTTP_expect_not_100_continue",
	weirdObsoleteFolding:       "HTTP_obsolete_line_folding",
	weirdRangeAndChunked:       "HTTP_content_range_and_chunked",
	weirdRangeUnit:             "HTTP_content_range_unknown_byte_unit",
	weirdRangeCannotParse:      "HTTP_content_range_cannot_parse",
	weirdRangeInvalid:          "HTTP_content_range_invalid",
	weirdRangeNonPositive:      "HTTP_non_positive_content_range",
	weirdRangeOverflow:         "HTTP_content_range_overflow",
	weirdRangeInstance:         "HTTP_content_range_invalid_instance",
	weirdRangeLen:              "HTTP_range_not_matching_len",
	weirdIllegalPercent:        "illegal_%_at_end_of_URI",
	weirdPartialEscape:         "partial_escape_at_end_of_URI",
	weirdDoublePercent:         "double_%_in_URI",
	weirdUnescapedPercent:      "unescaped_%_in_URI",
}

// weird logs w for the connection once: Zeek logs a connection's repeats
// of a weird at most once in ten minutes.
func (a *Analyzer) weird(w httpWeird, addl string) {
	a.weirds.Log(a.out, a.now, a.ci, weirdNames[w], addl, "HTTP")
}

// badRequestLine reports a request line that did not parse, as Zeek's
// HTTP_RequestLine does: one without a method token that ends in
// " HTTP/x.y" is bad_HTTP_request_with_version, any other
// bad_HTTP_request (an empty line too). m is the method token's length.
func (a *Analyzer) badRequestLine(line []byte, m int) {
	if n := len(line); m == 0 && n >= 9 {
		if p, _ := hasPrefixFold(line[n-9:], " HTTP/"); p {
			a.weird(weirdBadRequestWithVersion, "")
			return
		}
	}
	a.weird(weirdBadRequest, "")
}

// setVersion sets a side's version as Zeek's SetVersion does: a version
// other than the side's last one (once it has one) is a mismatch.
func (a *Analyzer) setVersion(v *[2]byte, nv [2]byte) {
	if *v != ([2]byte{}) && *v != nv {
		a.weird(weirdVersionMismatch, "")
	}
	*v = nv
}

// knownMethod reports whether m is in Zeek's HTTP::http_methods, the
// methods its http.log script does not call unknown_HTTP_method.
func knownMethod(m []byte) bool {
	switch string(m) {
	case "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "CONNECT",
		"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
		"POLL", "REPORT", "SUBSCRIBE", "BMOVE", "SEARCH":
		return true
	}
	return false
}

// entityWeirds reports what Zeek's HTTP_Entity::SubmitHeader finds odd in
// a header of dir's message (side s), before the header takes effect.
// Zeek's header parsing differs in corners from the analyzer's own (a
// Content-Length that is no number counts as 0 there); the weirds follow
// Zeek's reading, the parsing is left as it is.
func (a *Analyzer) entityWeirds(dir proto.Direction, s *side, kind hdrKind, v []byte) {
	switch kind {
	case hdrContentLength:
		if s.chunked {
			a.weird(weirdCLAndChunked, "")
		}
		tok := firstToken(v)
		if len(tok) == 0 {
			return
		}
		n, ok := zeekAtoi(tok, 10)
		switch {
		case !ok || n < 0:
			a.weird(weirdBadCL, string(tok))
			return
		case n > 0 && tok[0] == '0':
			a.weird(weirdCLLeadingZeros, string(tok))
		}
		if s.rangeLen > 0 && s.rangeLen != n {
			a.weird(weirdRangeLen, "")
		}
		if n == 0 && s.expect100 {
			a.weird(weirdCL0Expect100, "")
		}
	case hdrTransferEncoding:
		ver := a.respVersion
		if dir == proto.FromOrig {
			ver = a.reqVersion
		}
		if tok := firstToken(v); equalFold(tok, "chunked") && ver == [2]byte{1, 1} {
			if rest := v[len(tok):]; len(rest) > 0 {
				a.weird(weirdChunkedMulti, string(rest))
			}
			if s.cl >= 0 {
				a.weird(weirdCLAndChunked, "")
			}
		}
	case hdrContentRange:
		if dir == proto.FromResp && a.replyCode == 206 {
			a.contentRangeWeirds(s, v)
		}
	case hdrExpect:
		if tok := firstToken(v); !equalFold(tok, "100-continue") {
			a.weird(weirdExpectNot100, string(tok))
		}
		s.expect100 = true
		if s.cl == 0 {
			a.weird(weirdCL0Expect100, "")
		}
	}
}

// contentRangeWeirds checks a 206 reply's Content-Range as Zeek reads it
// ("bytes FIRST-LAST/TOTAL", spaces ignored) and notes the range's length
// for HTTP_range_not_matching_len.
func (a *Analyzer) contentRangeWeirds(s *side, v []byte) {
	if s.chunked {
		a.weird(weirdRangeAndChunked, "")
	}
	unit := firstToken(v)
	r := bytes.ReplaceAll(v[len(unit):], []byte(" "), nil)
	if string(unit) != "bytes" {
		a.weird(weirdRangeUnit, "")
		return
	}
	slash := bytes.IndexByte(r, '/')
	if slash < 0 {
		a.weird(weirdRangeCannotParse, "")
		return
	}
	spec, total := r[:slash], r[slash+1:]
	dash := bytes.IndexByte(spec, '-')
	if dash < 0 {
		a.weird(weirdRangeCannotParse, "")
		return
	}
	first, fok := zeekAtoi(spec[:dash], 10)
	last, lok := zeekAtoi(spec[dash+1:], 10)
	switch {
	case !fok || !lok:
		a.weird(weirdRangeCannotParse, string(r))
		return
	case first < 0 || last < 0:
		a.weird(weirdRangeInvalid, string(r))
		return
	case last < first:
		a.weird(weirdRangeNonPositive, string(r))
		return
	case last-first > math.MaxInt64-1:
		a.weird(weirdRangeOverflow, string(r))
		return
	}
	if string(total) != "*" {
		if _, ok := zeekAtoi(total, 10); !ok {
			a.weird(weirdRangeInstance, string(r))
		}
	}
	s.rangeLen = last - first + 1
	if s.cl > 0 && s.cl != s.rangeLen {
		a.weird(weirdRangeLen, "")
	}
}

// foldedHeader reports a header continued over lines (h, unfolded),
// with its name.
func (a *Analyzer) foldedHeader(h []byte) {
	name := h
	if i := bytes.IndexByte(h, ':'); i >= 0 {
		name = bytes.TrimRight(h[:i], " \t")
	}
	a.weird(weirdObsoleteFolding, string(name))
}

// uriWeirds reports the odd escapes of a request URI as Zeek's
// unescape_URI does (the analyzer's unescapeURI decodes them alike).
func (a *Analyzer) uriWeirds(uri []byte) {
	for i := 0; i < len(uri); i++ {
		if uri[i] != '%' {
			continue
		}
		i++
		switch {
		case i == len(uri):
			a.weird(weirdIllegalPercent, "")
			return
		case i+1 == len(uri):
			a.weird(weirdPartialEscape, "")
			return
		case uri[i] == '%':
			a.weird(weirdDoublePercent, "")
			i--
		case isHex(uri[i]) && isHex(uri[i+1]):
			i++
		case len(uri)-i >= 5 && uri[i] == 'u' && isHex(uri[i+1]) && isHex(uri[i+2]) && isHex(uri[i+3]) && isHex(uri[i+4]):
			i += 4
		default:
			a.weird(weirdUnescapedPercent, "")
			i--
		}
	}
}

// zeekAtoi reads a number as Zeek's util::atoi_n does: an optional '-',
// then digits of base up to the first other byte, at least one (none at
// all, an empty b, reads as 0); false when the first byte is no digit or
// the number overflows an int64.
func zeekAtoi(b []byte, base int64) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var n int64
	for i, c := range b {
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case c >= 'a' && int64(c) < 'a'-10+base:
			d = int64(c-'a') + 10
		case c >= 'A' && int64(c) < 'A'-10+base:
			d = int64(c-'A') + 10
		case i > 0:
			return sign(n, neg), true
		default:
			return 0, false
		}
		if n > (math.MaxInt64-d)/base {
			return 0, false
		}
		n = n*base + d
	}
	return sign(n, neg), true
}

func sign(n int64, neg bool) int64 {
	if neg {
		return -n
	}
	return n
}
