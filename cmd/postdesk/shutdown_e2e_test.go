package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
)

// holdWriteLock takes the database's write lock from this process, as
// another writer would, until release is called.
func holdWriteLock(t *testing.T, data string) (release func()) {
	t.Helper()
	other, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	locked, done, stopped := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		other.Update(context.Background(), func(tx *store.Tx) error {
			if err := tx.Touch(1); err != nil {
				return err
			}
			close(locked)
			<-done
			return nil
		})
	}()
	<-locked
	return func() {
		close(done)
		<-stopped
		other.Close()
	}
}

// exitCode waits for the server to exit and returns its exit code.
func (s *server) exitCode(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(within):
		t.Fatalf("server did not exit within %v", within)
	}
	var ee *exec.ExitError
	if err := s.cmd.Wait(); errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return s.cmd.ProcessState.ExitCode()
}

// TestSIGTERMLetsMessagesFinish: SIGTERM arrives while one message is
// half sent and another's commit waits for a database lock held elsewhere.
// New connections are refused at once; both messages get their 250 and are
// stored; the sessions are then closed (the clients do not QUIT) and the
// process exits 0 without waiting for them.
func TestSIGTERMLetsMessagesFinish(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test", "--no-ack")
	srv := startServer(t, data, "--db-busy-timeout", "20s")
	committing, err := dialSMTP(srv.addr, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer committing.Close()
	half, err := dialSMTP(srv.addr, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	for _, step := range []struct {
		code int
		line string
	}{{250, "MAIL FROM:<b@example.com>"}, {250, "RCPT TO:<support@acme.test>"}, {354, "DATA"}} {
		if err := half.cmd(step.code, "%s", step.line); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := half.conn.Write([]byte("Subject: half sent\r\n\r\nfirst half, ")); err != nil {
		t.Fatal(err)
	}
	release := holdWriteLock(t, data)
	replied := make(chan error, 1)
	go func() {
		replied <- committing.send("b@example.com", []string{"support@acme.test"}, []byte("Subject: committing\r\n\r\nx\r\n"))
	}()
	time.Sleep(500 * time.Millisecond) // nothing is logged before the commit: give DATA time to arrive
	srv.cmd.Process.Signal(syscall.SIGTERM)
	waitRefused(t, srv.addr)
	if _, err := half.conn.Write([]byte("second half\r\n.\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	release()
	if err := <-replied; err != nil {
		t.Errorf("message committing at SIGTERM: %v, want 250", err)
	}
	if _, err := half.reply(250); err != nil {
		t.Errorf("message half sent at SIGTERM: %v, want 250", err)
	}
	if code := srv.exitCode(t, 5*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	out := cli(t, data, "ticket", "list")
	for _, subject := range []string{"committing", "half sent"} {
		if !strings.Contains(out, subject) {
			t.Errorf("%q is not stored:\n%s", subject, out)
		}
	}
}

// waitRefused waits until connections to addr are refused.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("connections still accepted 5s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stallingRelay is a relay that holds its reply to DATA until let go, so
// that a delivery is in flight.
type stallingRelay struct {
	addr     string
	received chan string // the message bytes, once DATA ended
	reply    chan struct{}
}

func startStallingRelay(t *testing.T) *stallingRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &stallingRelay{addr: ln.Addr().String(), received: make(chan string, 4), reply: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *stallingRelay) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	fmt.Fprintf(c, "220 relay.test\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			fmt.Fprintf(c, "250 relay.test\r\n")
		case cmd == "DATA":
			fmt.Fprintf(c, "354 go on\r\n")
			var msg strings.Builder
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			r.received <- msg.String()
			<-r.reply
			fmt.Fprintf(c, "250 queued\r\n")
		case cmd == "QUIT":
			fmt.Fprintf(c, "221 bye\r\n")
			return
		default:
			fmt.Fprintf(c, "250 ok\r\n")
		}
	}
}

// TestSIGTERMLetsOutboundFinish: SIGTERM arrives while the relay has the
// acknowledgement's bytes but has not answered. The delivery finishes, the
// row is marked sent (not retried), and the process exits 0.
func TestSIGTERMLetsOutboundFinish(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test")
	relay := startStallingRelay(t)
	srv := startServer(t, data, "--relay", "smtp://"+relay.addr+"?tls=none", "--outbound-workers", "1")
	if err := send(srv.addr, "bob@example.com", []string{"support@acme.test"},
		[]byte("From: bob@example.com\r\nSubject: ack me\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-relay.received:
	case <-time.After(20 * time.Second):
		t.Fatal("the acknowledgement did not reach the relay")
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	waitRefused(t, srv.addr)
	time.Sleep(300 * time.Millisecond)
	close(relay.reply)
	if code := srv.exitCode(t, 20*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	var rows []struct{ Status string }
	cliJSON(t, data, &rows, "outbox", "list")
	if len(rows) == 0 || rows[0].Status != "sent" {
		t.Errorf("outbox after shutdown: %+v, want the acknowledgement sent", rows)
	}
}

// TestSIGTERMCutsOffStalledOutbound: SIGTERM arrives while the relay has
// the acknowledgement's bytes and never answers. The delivery gets the
// 30-second grace period, then its connection is closed; the row stays
// queued with the attempt and the reason recorded, to be retried later
// (never marked sent without the relay's 250), and the process exits 0.
func TestSIGTERMCutsOffStalledOutbound(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 30-second shutdown grace period")
	}
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test")
	relay := startStallingRelay(t)
	t.Cleanup(func() { close(relay.reply) })
	srv := startServer(t, data, "--relay", "smtp://"+relay.addr+"?tls=none", "--outbound-workers", "1")
	if err := send(srv.addr, "bob@example.com", []string{"support@acme.test"},
		[]byte("From: bob@example.com\r\nSubject: ack me\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-relay.received:
	case <-time.After(20 * time.Second):
		t.Fatal("the acknowledgement did not reach the relay")
	}
	start := time.Now()
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if code := srv.exitCode(t, 40*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if took := time.Since(start); took < 25*time.Second {
		t.Errorf("exited %v after SIGTERM: the delivery in flight did not get its grace period", took)
	}
	var rows []struct {
		Status      string
		Attempts    int
		LastError   string
		NextAttempt time.Time
	}
	cliJSON(t, data, &rows, "outbox", "list")
	if len(rows) != 1 || rows[0].Status != "queued" || rows[0].Attempts != 1 ||
		!strings.Contains(rows[0].LastError, "grace period") || !rows[0].NextAttempt.After(time.Now()) {
		t.Errorf("outbox after shutdown: %+v, want the acknowledgement queued for a later retry, its attempt recorded", rows)
	}
}
