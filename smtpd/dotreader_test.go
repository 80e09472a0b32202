package smtpd

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"regexp"
	"testing"
	"time"
)

// stuff encodes a message for DATA as Python's smtplib does: the bytes as
// they are, a dot doubled after each LF (and at the start), CRLF appended
// when the message does not end with it, then the end line.
func stuff(msg string) string {
	b := regexp.MustCompile(`(?m)^\.`).ReplaceAllString(msg, "..")
	if len(b) < 2 || b[len(b)-2:] != "\r\n" {
		b += "\r\n"
	}
	return b + ".\r\n"
}

// sendRaw runs one mail transaction on c, writing the message's bytes
// without rewriting them, and returns the reply to DATA and how long it took.
func sendRaw(t *testing.T, c *textproto.Conn, msg string) (int, string, time.Duration) {
	t.Helper()
	cmd(t, c, 250, "MAIL FROM:<a@example.com>")
	cmd(t, c, 250, "RCPT TO:<support@acme.test>")
	cmd(t, c, 354, "DATA")
	data := stuff(msg)
	start := time.Now()
	if _, err := c.W.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := c.W.Flush(); err != nil {
		t.Fatal(err)
	}
	code, text, _ := c.ReadResponse(0)
	return code, text, time.Since(start)
}

// TestBareCRBeforeEndOfData sends messages with bare CRs where go-smtp's own
// DATA reader loses the line structure: each must be answered at once, and
// stored as sent, dots unstuffed. A second message on the same connection
// shows the session goes on.
func TestBareCRBeforeEndOfData(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		{"CR before the end", "Subject: x\r\n\r\nbody\r", "Subject: x\r\n\r\nbody\r\r\n"},
		{"CR-only line ends", "Subject: x\r\rline 1\rline 2\r", "Subject: x\r\rline 1\rline 2\r\r\n"},
		{"three CRs", "Subject: x\r\n\r\nbody\r\r", "Subject: x\r\n\r\nbody\r\r\r\n"},
		{"stuffed dot after a bare CR", "Subject: x\r\n\r\nbody\r\r\n.dot\r\n..two\r\n", "Subject: x\r\n\r\nbody\r\r\n.dot\r\n..two\r\n"},
		{"dot line after a bare CR", "Subject: x\r\n\r\na\r\r\n.\r\r\nb\r\n", "Subject: x\r\n\r\na\r\r\n.\r\r\nb\r\n"},
		{"dot and CR after a bare CR", "Subject: x\r\n\r\na\r\r\n.\rb\r\n", "Subject: x\r\n\r\na\r\r\n.\rb\r\n"},
		{"ordinary", "Subject: x\r\n\r\nbody\r\n.dot\r\n", "Subject: x\r\n\r\nbody\r\n.dot\r\n"},
	}
	for _, tls := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/tls=%v", tt.name, tls), func(t *testing.T) {
				rec := newRecorder("support@acme.test")
				opts := Options{DataTimeout: time.Minute}
				if tls {
					opts.TLSConfig = testTLS(t)
				}
				conn, err := net.Dial("tcp", start(t, opts, rec))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second)) // a hang fails, not stalls
				c := textproto.NewConn(conn)
				expect(t, c, 220)
				cmd(t, c, 250, "EHLO client.test")
				if tls {
					c = startTLS(t, c, conn)
				}
				for i := range 2 {
					code, text, took := sendRaw(t, c, tt.msg)
					if code != 250 || took > 5*time.Second {
						t.Fatalf("message %d: reply %d %q after %v, want 250 at once", i, code, text, took)
					}
				}
				cmd(t, c, 221, "QUIT")
				if len(rec.got) != 2 {
					t.Fatalf("%d deliveries, want 2", len(rec.got))
				}
				for _, d := range rec.got {
					if d.data != tt.want {
						t.Errorf("stored %q, want %q", d.data, tt.want)
					}
				}
			})
		}
	}
}

func testTLS(t *testing.T) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
}

// startTLS upgrades a raw dialogue with STARTTLS and says EHLO again.
func startTLS(t *testing.T, c *textproto.Conn, raw net.Conn) *textproto.Conn {
	t.Helper()
	cmd(t, c, 220, "STARTTLS")
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
	if err := conn.Handshake(); err != nil {
		t.Fatal(err)
	}
	tc := textproto.NewConn(conn)
	cmd(t, tc, 250, "EHLO client.test")
	return tc
}

// libDataReader is go-smtp v0.25.1's DATA reader (data.go), its state
// machine as it is, bare-CR fault included, over a byte slice: what
// dotReader reads from. It fails with io.ErrUnexpectedEOF when asked for a
// byte past the end of the input, as the real one would wait forever.
type libDataReader struct {
	in    []byte
	state int
}

func (r *libDataReader) Read(b []byte) (n int, err error) {
	const stEOF = 99
	for n < len(b) && r.state != stEOF {
		if len(r.in) == 0 {
			return n, io.ErrUnexpectedEOF
		}
		c := r.in[0]
		r.in = r.in[1:]
		switch r.state {
		case stBeginLine:
			if c == '.' {
				r.state = stDot
				continue
			}
			if c == '\r' {
				r.state = stCR
				break
			}
			r.state = stData
		case stDot:
			if c == '\r' {
				r.state = stDotCR
				continue
			}
			r.state = stData
		case stDotCR:
			if c == '\n' {
				r.state = stEOF
				continue
			}
			r.state = stData
		case stCR:
			if c == '\n' {
				r.state = stBeginLine
				break
			}
			r.state = stData
		case stData:
			if c == '\r' {
				r.state = stCR
			}
		}
		b[n] = c
		n++
	}
	if r.state == stEOF {
		return n, io.EOF
	}
	return n, nil
}

// wire encodes msg for DATA as RFC 5321 §4.5.2 says: a dot doubled at the
// start of each line (after CRLF), CRLF appended if missing, then ".\r\n".
func wire(msg []byte) []byte {
	var out []byte
	for i, c := range msg {
		if c == '.' && (i == 0 || i >= 2 && msg[i-2] == '\r' && msg[i-1] == '\n') {
			out = append(out, '.')
		}
		out = append(out, c)
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, "\r\n"...)
	}
	return append(out, ".\r\n"...)
}

// FuzzDotReader checks that any message, sent as RFC 5321 says, comes out
// of go-smtp's reader and dotReader exactly as it went in (plus the CRLF a
// client appends) and ends where it ends, never asking for a byte past it.
func FuzzDotReader(f *testing.F) {
	for _, s := range []string{"a\r", "a\r\r", "x\r\n\r\n.\r\r\n..\r\n", "\r\r\n.\r", ".\r\r", "a\r\r\n.x\r\r\r\n.", "\r\n.\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		want := append([]byte{}, msg...)
		if !bytes.HasSuffix(want, []byte("\r\n")) {
			want = append(want, "\r\n"...)
		}
		for _, size := range []int{1, 3, 4096} {
			src := &libDataReader{in: wire(msg)}
			got, err := io.ReadAll(&sizedReader{newDotReader(src), size})
			if err != nil {
				t.Fatalf("read in %d-byte steps: %v (got %q)", size, err, got)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read in %d-byte steps: %q, want %q", size, got, want)
			}
		}
	})
}

// sizedReader reads at most size bytes at a time.
type sizedReader struct {
	r    io.Reader
	size int
}

func (s *sizedReader) Read(b []byte) (int, error) { return s.r.Read(b[:min(len(b), s.size)]) }
