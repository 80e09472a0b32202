package smtpd

import "io"

// The states of a reader of DATA (RFC 5321 §4.5.2 transparency and §4.1.1.4
// end of mail data): where a line begins, a leading dot is removed, and the
// line "." alone ends the message.
const (
	stBeginLine = iota // at the beginning of a line
	stDot              // read "." at the beginning of a line
	stDotCR            // read ".\r" at the beginning of a line
	stCR               // read "\r"
	stData             // inside a line
)

// dotReader reads a message's DATA through go-smtp's DATA reader and ends it
// where RFC 5321 §4.1.1.4 says it ends, even where go-smtp v0.25.1 does not.
//
// go-smtp's reader (data.go) leaves its "\r seen" state for the "in a line"
// state on a second CR: after a bare CR, the CRLF that follows no longer
// starts a line, so a message ending "…\r\r\n.\r\n" is never complete and
// the session waits for the data timeout, then the sender retries forever.
// That reader passes every byte through unchanged except a leading dot of a
// line it recognises and the final ".\r\n". So dotReader follows, byte by
// byte, the state go-smtp's reader is in; while the two disagree after a
// bare CR (and only then), the bytes it passes are exactly those received,
// and dotReader removes the dot of a stuffed line and finds the end itself.
// It then reports Ended, so that the session can stop go-smtp's reader,
// which still waits for an end it will never see.
//
// It reads one byte per call from go-smtp's reader, because that reader
// returns only once the buffer given to it is full or the message has ended
// by its own count. One line goes unhandled: a line starting with an
// unstuffed ".\r\r" (a protocol violation) is indistinguishable in what
// go-smtp passes from "\r\r"; such a message still ends at the data timeout.
type dotReader struct {
	src   io.Reader // go-smtp's DATA reader
	in    [1]byte
	lib   int  // the state of go-smtp's reader, as inferred
	ours  int  // our state, meaningful while apart
	apart bool // go-smtp's reader has lost the line structure
	ended bool // the end was found here, not by go-smtp's reader
	held  bool // heldByte is still to be passed on
	heldB byte
	err   error // from src, returned once the bytes before it are passed on
}

func newDotReader(src io.Reader) *dotReader {
	return &dotReader{src: src, lib: stBeginLine}
}

// Ended reports whether the end of the message was found here while
// go-smtp's reader missed it; that reader then waits for more input.
func (d *dotReader) Ended() bool { return d.ended }

func (d *dotReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		if d.held {
			b[n], d.held = d.heldB, false
			n++
			continue
		}
		if d.err != nil {
			return n, d.err
		}
		if d.ended {
			return n, io.EOF
		}
		var m int
		m, d.err = d.src.Read(d.in[:])
		if m == 0 {
			continue
		}
		c := d.in[0]
		if d.apart {
			n += d.stepApart(c, b[n:])
			continue
		}
		switch {
		case d.lib == stCR && c == '\r':
			// go-smtp's reader goes to stData here; a correct reader stays
			// in stCR, so that the next LF begins a line.
			d.lib, d.ours, d.apart = stData, stCR, true
		case d.lib == stCR && c == '\n':
			d.lib = stBeginLine
		case c == '\r':
			d.lib = stCR
		default:
			d.lib = stData
		}
		b[n] = c
		n++
	}
	return n, nil
}

// stepApart takes one byte passed by go-smtp's reader while it has lost the
// line structure (it is then in stData or stCR and passes every byte), and
// writes to b what to pass on: the byte, nothing (a stuffed dot, the end
// line), or a CR held back and the byte (the second one held if b is full).
func (d *dotReader) stepApart(c byte, b []byte) int {
	switch {
	case d.lib == stCR && c == '\n':
		d.lib = stBeginLine
	case d.lib == stData && c == '\r':
		d.lib = stCR
	default:
		d.lib = stData
	}
	n := 0
	switch d.ours {
	case stBeginLine:
		if c == '.' {
			d.ours = stDot
			return 0
		}
	case stDot:
		if c == '\r' {
			d.ours = stDotCR
			return 0
		}
		// The stuffed dot is dropped.
	case stDotCR:
		if c == '\n' {
			d.ended = true
			return 0
		}
		b[0], n = '\r', 1
	case stCR:
		if c == '\n' {
			d.ours = stBeginLine
			b[0] = c
			d.apart = d.ours != d.lib
			return 1
		}
	}
	d.ours = stateAfter(c)
	if n < len(b) {
		b[n] = c
		n++
	} else {
		d.held, d.heldB = true, c
	}
	d.apart = d.ours != d.lib
	return n
}

// stateAfter is the state after a byte inside a line.
func stateAfter(c byte) int {
	if c == '\r' {
		return stCR
	}
	return stData
}
