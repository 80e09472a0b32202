package smtpd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a Deliverer that keeps what it is given in memory and fails on
// demand: the server's side of the contract, without storage.
type recorder struct {
	mu      sync.Mutex
	known   map[string]bool
	got     []delivery
	failure error // returned by Deliver when set
}

type delivery struct {
	from     string
	to       []string
	data     string
	inMemory bool
}

type permanentErr struct{ msg string }

func (e permanentErr) Error() string   { return e.msg }
func (e permanentErr) Permanent() bool { return true }

func (r *recorder) CheckRecipient(_ context.Context, addr string) error {
	if !r.known[strings.ToLower(addr)] {
		return permanentErr{"no such mailbox here: " + addr}
	}
	return nil
}

func (r *recorder) DeliverRaw(_ context.Context, from string, to []string, raw io.ReaderAt, size int64) error {
	data := make([]byte, size)
	if _, err := raw.ReadAt(data, 0); err != nil && !(errors.Is(err, io.EOF) && size == 0) {
		return err
	}
	_, inMemory := raw.(interface{ Bytes() []byte })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failure != nil {
		return r.failure
	}
	r.got = append(r.got, delivery{from, append([]string(nil), to...), string(data), inMemory})
	return nil
}

// start runs a server on a loopback port and returns its address.
func start(t *testing.T, opts Options, d Deliverer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(opts, d).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// dial opens a raw SMTP dialogue and reads the greeting.
func dial(t *testing.T, addr string) *textproto.Conn {
	t.Helper()
	c, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	expect(t, c, 220)
	return c
}

// cmd sends a command and checks the reply code.
func cmd(t *testing.T, c *textproto.Conn, want int, format string, args ...any) string {
	t.Helper()
	if err := c.PrintfLine(format, args...); err != nil {
		t.Fatal(err)
	}
	return expect(t, c, want)
}

func expect(t *testing.T, c *textproto.Conn, want int) string {
	t.Helper()
	code, msg, err := c.ReadResponse(0)
	if code != want {
		t.Fatalf("reply %d %q (%v), want %d", code, msg, err, want)
	}
	return msg
}

func newRecorder(addrs ...string) *recorder {
	r := &recorder{known: map[string]bool{}}
	for _, a := range addrs {
		r.known[a] = true
	}
	return r
}

func TestDeliveryWithStandardClient(t *testing.T) {
	rec := newRecorder("support@acme.test", "help@globex.test")
	addr := start(t, Options{}, rec)
	msg := "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
	err := smtp.SendMail(addr, nil, "a@example.com", []string{"support@acme.test", "help@globex.test", "SUPPORT@acme.test"}, []byte(msg))
	if err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if len(rec.got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(rec.got))
	}
	d := rec.got[0]
	if d.from != "a@example.com" || len(d.to) != 2 || d.data != msg || !d.inMemory {
		t.Errorf("delivery = %+v, want the envelope with 2 distinct recipients and the bytes as sent", d)
	}
}

func TestCapabilities(t *testing.T) {
	addr := start(t, Options{MaxMessageBytes: 1000}, newRecorder())
	c := dial(t, addr)
	ehlo := cmd(t, c, 250, "EHLO client.test")
	for _, ext := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "SIZE 1000"} {
		if !strings.Contains(ehlo, ext) {
			t.Errorf("EHLO reply lacks %s:\n%s", ext, ehlo)
		}
	}
	if strings.Contains(ehlo, "STARTTLS") {
		t.Error("STARTTLS advertised without a certificate")
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name    string
		failure error
		opts    Options
		rcpt    string
		size    int // bytes of body
		mailArg string
		rcptRe  int
		dataRe  int
		text    string
	}{
		{name: "unknown recipient refused at RCPT", rcpt: "nobody@acme.test", rcptRe: 550, text: "5.1.1"},
		{name: "declared size over the limit", opts: Options{MaxMessageBytes: 100}, mailArg: " SIZE=5000", rcpt: "support@acme.test"},
		{name: "data over the limit", opts: Options{MaxMessageBytes: 100}, rcpt: "support@acme.test", size: 500, rcptRe: 250, dataRe: 552, text: "5.3.4"},
		{name: "temporary failure", failure: errors.New("database is locked"), rcpt: "support@acme.test", size: 10, rcptRe: 250, dataRe: 451, text: "4.3.0"},
		{name: "permanent refusal", failure: permanentErr{"message cannot be parsed"}, rcpt: "support@acme.test", size: 10, rcptRe: 250, dataRe: 554, text: "cannot be parsed"},
		{name: "accepted", rcpt: "support@acme.test", size: 10, rcptRe: 250, dataRe: 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder("support@acme.test")
			rec.failure = tt.failure
			c := dial(t, start(t, tt.opts, rec))
			cmd(t, c, 250, "EHLO client.test")
			if tt.mailArg != "" {
				msg := cmd(t, c, 552, "MAIL FROM:<a@example.com>%s", tt.mailArg)
				if !strings.Contains(msg, "5.3.4") {
					t.Errorf("reply %q lacks 5.3.4", msg)
				}
				return
			}
			cmd(t, c, 250, "MAIL FROM:<a@example.com>")
			msg := cmd(t, c, tt.rcptRe, "RCPT TO:<%s>", tt.rcpt)
			if tt.dataRe == 0 {
				if !strings.Contains(msg, tt.text) {
					t.Errorf("reply %q lacks %q", msg, tt.text)
				}
				return
			}
			cmd(t, c, 354, "DATA")
			msg = cmd(t, c, tt.dataRe, "Subject: x\r\n\r\n%s\r\n.", strings.Repeat("x", tt.size))
			if !strings.Contains(msg, tt.text) {
				t.Errorf("reply %q lacks %q", msg, tt.text)
			}
			if tt.failure != nil && strings.Contains(msg, tt.failure.Error()) && tt.dataRe == 451 {
				t.Errorf("temporary reply %q leaks the internal error", msg)
			}
		})
	}
}

func TestConnectionLimit(t *testing.T) {
	addr := start(t, Options{MaxConnections: 2}, newRecorder())
	dial(t, addr)
	dial(t, addr)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "421 4.7.0") {
		t.Fatalf("third connection got %q (%v), want 421", line, err)
	}
}

func TestDataTimeout(t *testing.T) {
	rec := newRecorder("support@acme.test")
	c := dial(t, start(t, Options{DataTimeout: 300 * time.Millisecond}, rec))
	cmd(t, c, 250, "EHLO client.test")
	cmd(t, c, 250, "MAIL FROM:<a@example.com>")
	cmd(t, c, 250, "RCPT TO:<support@acme.test>")
	cmd(t, c, 354, "DATA")
	fmt.Fprintf(c.W, "Subject: slow\r\n\r\npart of a body")
	c.W.Flush()
	code, msg, _ := c.ReadResponse(0)
	if code/100 != 4 {
		t.Errorf("stalled DATA got %d %q, want a 4xx", code, msg)
	}
	if len(rec.got) != 0 {
		t.Errorf("a message cut off mid-DATA was delivered")
	}
}
