package smtpd

import (
	"context"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// gate is a Deliverer whose Deliver waits to be let through, or for its
// context to end, as a real store waits for its commit.
type gate struct {
	*recorder
	entered chan struct{}
	open    chan struct{}
}

func (g *gate) DeliverRaw(ctx context.Context, from string, to []string, raw io.ReaderAt, size int64) error {
	g.entered <- struct{}{}
	select {
	case <-g.open:
		return g.recorder.DeliverRaw(ctx, from, to, raw, size)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestGracefulShutdown cancels the server's context while a message is
// being delivered (one ending in a bare CR, whose end go-smtp misses): new
// connections are refused, an idle session is told
// 421, the message still gets its 250, and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	g := &gate{recorder: newRecorder("support@acme.test"), entered: make(chan struct{}, 1), open: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(Options{ShutdownGrace: 20 * time.Second}, g).Serve(ctx, ln) }()

	idle := dial(t, addr)
	cmd(t, idle, 250, "EHLO idle.test")
	busy := dial(t, addr)
	cmd(t, busy, 250, "EHLO busy.test")
	cmd(t, busy, 250, "MAIL FROM:<a@example.com>")
	cmd(t, busy, 250, "RCPT TO:<support@acme.test>")
	cmd(t, busy, 354, "DATA")
	if err := busy.PrintfLine("Subject: x\r\n\r\nbody ending in a bare CR\r\r\n."); err != nil {
		t.Fatal(err)
	}
	<-g.entered
	cancel()

	idleReply(t, idle, "421 4.3.2")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted after shutdown began")
	}
	close(g.open)
	expect(t, busy, 250)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the last message")
	}
	if len(g.got) != 1 {
		t.Errorf("%d messages delivered, want 1", len(g.got))
	}
}

// idleReply reads what an idle session is told, within 5 seconds.
func idleReply(t *testing.T, c *textproto.Conn, want string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		line, err := c.ReadLine()
		if err != nil {
			line = err.Error()
		}
		got <- line
	}()
	select {
	case line := <-got:
		if !strings.HasPrefix(line, want) {
			t.Errorf("idle session told %q, want %s", line, want)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("idle session told nothing, want %s", want)
	}
}
