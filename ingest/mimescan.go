package ingest

import (
	"bytes"
	"fmt"

	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Limits on the MIME structure the parser is given. enmime reads a nested
// multipart through one boundary reader per level, each passing every byte
// of its content on, and appends each part to a list it walks from the
// start, so its work grows with depth × size and with the square of the
// number of parts: a security review measured 6,000 nested multipart/mixed
// levels (410 KB) at 59 s of CPU and 100,000 flat parts (10 MB) running
// away, each holding a parse slot all that time. Real mail stays far below
// both limits (a forwarded mail with attachments nests four or five
// levels; a message/rfc822 attachment is not descended into, so forwarding
// does not add up; a mail of hundreds of attachments is rare). Past either
// limit the mail is still stored, its header parsed and its body kept as
// opaque text with a warning naming the limit (parse, headerOnly), since
// nothing malformed is refused; the raw bytes keep everything.
const (
	// MaxMIMEDepth is the deepest nesting of multipart parts parsed.
	MaxMIMEDepth = 50
	// MaxMIMEParts is the most MIME parts (delimiters) parsed in one mail.
	MaxMIMEParts = 1000
	// MaxMIMENestedBytes bounds the sum, over the bytes inside multipart
	// parts, of the levels each is nested in: the bytes enmime's boundary
	// readers pass on. It cost about 0.18 s per MiB and level when
	// measured (10 MiB nested 50 levels: 8.8 s), so 128 MiB is a few
	// seconds, and admits a 25 MiB attachment three levels down
	// (multipart/mixed > alternative > related) with room to spare.
	MaxMIMENestedBytes = 128 << 20

	// MaxHeaderBytes bounds one header section, of the message or of a
	// MIME part, lines and line ends included. Postfix keeps at most
	// 100 KiB (header_size_limit), so no mail that passed it comes near;
	// a folded field of megabytes is an attack on the header readers.
	MaxHeaderBytes = 256 << 10
	// MaxHeaderLines bounds the lines of one header section, folded
	// continuation lines included: a few hundred is a long real header
	// (Received chains, signatures).
	MaxHeaderLines = 10_000
)

// mimeShape scans raw once, line by line, for the nesting depth and the
// number of MIME parts (RFC 2046 §5.1.1), and returns an error naming the
// limit when the mail exceeds MaxMIMEDepth, MaxMIMEParts,
// MaxMIMENestedBytes, or has a header section (the message's or a part's)
// of more than MaxHeaderBytes or MaxHeaderLines. It runs before
// enmime, in time linear in len(raw) times the open depth (at most
// MaxMIMEDepth+1), and keeps only a stack of the open boundaries.
//
// It errs on the side of counting more than enmime parses: any part whose
// Content-Type names a boundary opens a level, and a line counts as a
// delimiter wherever in it "--boundary" stands followed by white space or
// the line's end (enmime looks for the boundary anywhere in the line, too).
// A delimiter of an outer boundary closes the inner levels; a close
// delimiter "--boundary--" closes its level. message/rfc822 parts are not
// descended into, as enmime does not descend.
func mimeShape(raw []byte) error {
	var (
		stack    [][]byte // "--boundary" of each open level, innermost last
		ctype    []byte   // the unfolded Content-Type of the header being read
		inCType  bool     // the header line being read continues Content-Type
		inHeader = true
		parts    int
		nested   int64 // bytes × the levels they are nested in, so far
		hdrBytes int   // bytes of the header section being read
		hdrLines int   // lines of the header section being read
	)
	for rest := raw; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if nested += int64(len(line)+1) * int64(len(stack)); nested > MaxMIMENestedBytes {
			return fmt.Errorf("more than %d MiB of nested MIME content (MaxMIMENestedBytes: bytes times their depth): the body is kept unparsed", MaxMIMENestedBytes>>20)
		}
		if inHeader {
			if err := headerWithin(hdrBytes+len(line)+1, hdrLines+1); err != nil {
				return err
			}
			hdrBytes, hdrLines = hdrBytes+len(line)+1, hdrLines+1
		}
		line = bytes.TrimRight(line, "\r")
		if inHeader {
			switch {
			case len(bytes.TrimSpace(line)) == 0:
				inHeader, inCType = false, false
				if b := boundaryOf(ctype); b != nil {
					if stack = append(stack, b); len(stack) > MaxMIMEDepth {
						return fmt.Errorf("MIME parts nested deeper than %d levels (MaxMIMEDepth): the body is kept unparsed", MaxMIMEDepth)
					}
				}
				ctype = ctype[:0]
			case line[0] == ' ' || line[0] == '\t':
				if inCType {
					ctype = append(append(ctype, ' '), line...)
				}
			default:
				inCType = len(line) > 13 && bytes.EqualFold(line[:13], []byte("content-type:"))
				if inCType {
					ctype = append(ctype[:0], line[13:]...)
				}
			}
			continue
		}
		if len(stack) == 0 || !bytes.Contains(line, []byte("--")) {
			continue
		}
		for i := len(stack) - 1; i >= 0; i-- {
			at := bytes.Index(line, stack[i])
			if at < 0 {
				continue
			}
			after := line[at+len(stack[i]):]
			if bytes.HasPrefix(after, []byte("--")) {
				stack = stack[:i] // the close delimiter of level i
				break
			}
			if len(after) > 0 && after[0] != ' ' && after[0] != '\t' {
				continue // a longer boundary that starts with this one
			}
			stack = stack[:i+1]
			if parts++; parts > MaxMIMEParts {
				return fmt.Errorf("more than %d MIME parts (MaxMIMEParts): the body is kept unparsed", MaxMIMEParts)
			}
			inHeader, hdrBytes, hdrLines = true, 0, 0
			break
		}
	}
	return nil
}

// boundaryOf returns "--" and the boundary parameter of a Content-Type
// value, or nil when it names none. The value is parsed as enmime parses
// it (RFC 2045 §5.1, RFC 2231 parameters), and only when it mentions a
// boundary at all.
func boundaryOf(ctype []byte) []byte {
	if !bytes.Contains(bytes.ToLower(ctype), []byte("boundary")) {
		return nil
	}
	_, params, _, err := mediatype.Parse(string(ctype))
	if err != nil || params["boundary"] == "" {
		return nil
	}
	return []byte("--" + params["boundary"])
}

// headerWithin returns an error naming the limit when a header section of
// n bytes and lines lines is past MaxHeaderBytes or MaxHeaderLines.
func headerWithin(n, lines int) error {
	if n > MaxHeaderBytes {
		return fmt.Errorf("a header section of more than %d KiB (MaxHeaderBytes): the body is kept unparsed", MaxHeaderBytes>>10)
	}
	if lines > MaxHeaderLines {
		return fmt.Errorf("a header section of more than %d lines (MaxHeaderLines): the body is kept unparsed", MaxHeaderLines)
	}
	return nil
}

// cutHeader returns the lines of header that fit MaxHeaderBytes and
// MaxHeaderLines, cut at a line end, and whether anything was cut. A folded
// field cut between its lines is still a field (RFC 5322 §2.2.3), shorter.
func cutHeader(header []byte) ([]byte, bool) {
	n, lines := 0, 0
	for n < len(header) {
		i := bytes.IndexByte(header[n:], '\n')
		end := len(header)
		if i >= 0 {
			end = n + i + 1
		}
		if headerWithin(end, lines+1) != nil {
			return header[:n], true
		}
		n, lines = end, lines+1
	}
	return header, false
}
