package imapfetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// memIMAP is go-imap's in-memory IMAP server on a loopback port.
type memIMAP struct {
	user *imapmemserver.User
	addr string
}

// startMemIMAP serves one user u (password pw) with an INBOX. Without
// idle, only IMAP4rev1 is offered: no IDLE, no MOVE.
func startMemIMAP(t *testing.T, idle bool) *memIMAP {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("u", "pw")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	if idle {
		caps[imap.CapIMAP4rev2] = struct{}{}
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: caps, InsecureAuth: true, Logger: discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &memIMAP{user: user, addr: ln.Addr().String()}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// add appends a message to folder with flags.
func (m *memIMAP) add(t *testing.T, folder, raw string, flags ...imap.Flag) {
	t.Helper()
	if _, err := m.user.Append(folder, bytes.NewReader([]byte(raw)), &imap.AppendOptions{Flags: flags}); err != nil {
		t.Fatal(err)
	}
}

func (m *memIMAP) status(t *testing.T, folder string) *imap.StatusData {
	t.Helper()
	st, err := m.user.Status(folder, &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDValidity: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (m *memIMAP) mailbox(moveTo string) Mailbox {
	host, port, _ := net.SplitHostPort(m.addr)
	return Mailbox{ID: 1, MoveTo: moveTo, Password: func() (string, error) { return "pw", nil },
		Target: Target{Addr: net.JoinHostPort(host, port), Host: host, TLS: TLSNone, User: "u", Folder: "INBOX"}}
}

func testMail(n int) string {
	return fmt.Sprintf("From: c%d@example.com\r\nTo: support@acme.test\r\nMessage-ID: <m%d@example.com>\r\nSubject: mail %d\r\n\r\nbody %d\r\n", n, n, n, n)
}

// memSink keeps what it is given, as a store would: each message with its
// position, atomically. It refuses raw mail containing "UNSTORABLE" for
// good, and fails (temporarily) while failing is set.
type memSink struct {
	mu       sync.Mutex
	raws     []string
	envFroms []string
	pos      Progress
	skipped  []string
	failing  bool
	changed  chan struct{}
}

func newMemSink() *memSink { return &memSink{changed: make(chan struct{}, 1000)} }

type refusal struct{}

func (refusal) Error() string   { return "unreadable" }
func (refusal) Permanent() bool { return true }

func (s *memSink) Deliver(_ context.Context, _ int64, envFrom string, raw []byte, p Progress) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		return errors.New("disk full")
	}
	if bytes.Contains(raw, []byte("UNSTORABLE")) {
		return refusal{}
	}
	if p.UIDValidity == s.pos.UIDValidity && p.UID <= s.pos.UID {
		return fmt.Errorf("position %v not beyond %v", p, s.pos)
	}
	s.raws, s.envFroms, s.pos = append(s.raws, string(raw)), append(s.envFroms, envFrom), p
	s.changed <- struct{}{}
	return nil
}

func (s *memSink) Skip(_ context.Context, _ int64, p Progress, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skipped, s.pos = append(s.skipped, reason), p
	s.changed <- struct{}{}
	return nil
}

func (s *memSink) Progress(context.Context, int64) (Progress, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos, nil
}

func (s *memSink) Report(context.Context, int64, error) {}

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.raws)
}

// waitFor waits until the sink holds n messages.
func (s *memSink) waitFor(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for s.count() < n {
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("after %v the sink holds %d messages, want %d", within, s.count(), n)
		}
	}
}

// runFetcher runs a fetcher until the test ends or stop is called.
func runFetcher(t *testing.T, mb Mailbox, sink Sink, opts Options) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- NewFetcher(mb, sink, opts, log).Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v, want nil after cancel", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestFetchLeavesMailboxAlone: every message is fetched once, mail already
// \Seen as well, and the mailbox keeps its messages and flags; a second
// fetcher starting from the stored position fetches nothing again, and a
// mail appended during IDLE arrives at once.
func TestFetchLeavesMailboxAlone(t *testing.T) {
	srv := startMemIMAP(t, true)
	srv.add(t, "INBOX", testMail(1), imap.FlagSeen)
	srv.add(t, "INBOX", "Return-Path: <bounce@lists.example>\r\n"+testMail(2))
	srv.add(t, "INBOX", testMail(3), imap.FlagFlagged)
	sink := newMemSink()
	stop := runFetcher(t, srv.mailbox(""), sink, Options{})
	sink.waitFor(t, 3, 5*time.Second)
	stop()
	for i, want := range []string{testMail(1), "Return-Path: <bounce@lists.example>\r\n" + testMail(2), testMail(3)} {
		if sink.raws[i] != want {
			t.Errorf("message %d = %q, want %q", i, sink.raws[i], want)
		}
	}
	if got := sink.envFroms[1]; got != "bounce@lists.example" {
		t.Errorf("envelope sender of a mail with Return-Path = %q", got)
	}
	if got := sink.envFroms[0]; got != "c1@example.com" {
		t.Errorf("envelope sender of a mail without Return-Path = %q, want its From", got)
	}
	if st := srv.status(t, "INBOX"); *st.NumMessages != 3 || *st.NumUnseen != 2 {
		t.Errorf("INBOX after fetching: %d messages, %d unseen; want 3 and 2 (unchanged)", *st.NumMessages, *st.NumUnseen)
	}

	start := time.Now()
	runFetcher(t, srv.mailbox(""), sink, Options{})
	time.Sleep(300 * time.Millisecond) // the second fetcher is idling
	srv.add(t, "INBOX", testMail(4))
	sink.waitFor(t, 4, 2*time.Second)
	if time.Since(start) > 2*time.Second {
		t.Errorf("a mail appended during IDLE took %v", time.Since(start))
	}
	time.Sleep(200 * time.Millisecond)
	if n := sink.count(); n != 4 {
		t.Errorf("after a restart the sink holds %d messages, want 4 (none twice)", n)
	}
}

// TestFetchPollsWithoutIdle: a server without IDLE is polled.
func TestFetchPollsWithoutIdle(t *testing.T) {
	srv := startMemIMAP(t, false)
	sink := newMemSink()
	runFetcher(t, srv.mailbox(""), sink, Options{Poll: 100 * time.Millisecond})
	time.Sleep(200 * time.Millisecond)
	srv.add(t, "INBOX", testMail(1))
	sink.waitFor(t, 1, 2*time.Second)
}

// TestFetchMoveTo: with MoveTo, each stored message is moved (by COPY,
// STORE and EXPUNGE where the server has no MOVE), and only after it is
// stored.
func TestFetchMoveTo(t *testing.T) {
	for _, idle := range []bool{true, false} {
		t.Run(fmt.Sprintf("rev2=%v", idle), func(t *testing.T) {
			srv := startMemIMAP(t, idle)
			if err := srv.user.Create("Archive", nil); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				srv.add(t, "INBOX", testMail(i))
			}
			sink := newMemSink()
			stop := runFetcher(t, srv.mailbox("Archive"), sink, Options{Poll: 100 * time.Millisecond, BatchMessages: 2})
			sink.waitFor(t, 5, 5*time.Second)
			deadline := time.Now().Add(3 * time.Second)
			for *srv.status(t, "INBOX").NumMessages != 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			if in, arch := *srv.status(t, "INBOX").NumMessages, *srv.status(t, "Archive").NumMessages; in != 0 || arch != 5 {
				t.Errorf("INBOX %d, Archive %d messages; want 0 and 5", in, arch)
			}
		})
	}
}

// TestFetchSkipsWhatCanNeverBeStored: a message the sink refuses for good,
// or one over the size limit, is skipped and the next is fetched; a
// temporary failure is retried after a reconnection and loses nothing.
func TestFetchSkipsWhatCanNeverBeStored(t *testing.T) {
	srv := startMemIMAP(t, true)
	srv.add(t, "INBOX", testMail(1))
	srv.add(t, "INBOX", "Subject: UNSTORABLE\r\n\r\nx\r\n")
	srv.add(t, "INBOX", testMail(3)+strings.Repeat("x", 5000))
	srv.add(t, "INBOX", testMail(4))
	sink := newMemSink()
	sink.failing = true
	runFetcher(t, srv.mailbox(""), sink, Options{MaxMessageBytes: 4096, MinBackoff: 50 * time.Millisecond})
	time.Sleep(300 * time.Millisecond)
	sink.mu.Lock()
	sink.failing = false
	sink.mu.Unlock()
	sink.waitFor(t, 2, 5*time.Second)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.raws[0] != testMail(1) || sink.raws[1] != testMail(4) {
		t.Errorf("stored %q, want messages 1 and 4", sink.raws)
	}
	if len(sink.skipped) != 2 || sink.skipped[0] != "unreadable" || !strings.Contains(sink.skipped[1], "larger than 4096") {
		t.Errorf("skipped %q, want the refused and the large message", sink.skipped)
	}
	if sink.pos.UID != 4 {
		t.Errorf("position %v, want UID 4", sink.pos)
	}
}

// TestFetchUIDValidityChange: when the folder is recreated (a new
// UIDVALIDITY), it is fetched again from its first message.
func TestFetchUIDValidityChange(t *testing.T) {
	srv := startMemIMAP(t, true)
	srv.add(t, "INBOX", testMail(1))
	srv.add(t, "INBOX", testMail(2))
	sink := newMemSink()
	stop := runFetcher(t, srv.mailbox(""), sink, Options{})
	sink.waitFor(t, 2, 5*time.Second)
	stop()
	before := srv.status(t, "INBOX").UIDValidity
	if err := srv.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := srv.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	srv.add(t, "INBOX", testMail(1))
	if after := srv.status(t, "INBOX").UIDValidity; after == before {
		t.Fatalf("UIDVALIDITY did not change (%d)", after)
	}
	runFetcher(t, srv.mailbox(""), sink, Options{})
	sink.waitFor(t, 3, 5*time.Second)
	if sink.raws[2] != testMail(1) || sink.pos.UID != 1 {
		t.Errorf("after the UIDVALIDITY change: stored %q at %v, want message 1 again at UID 1", sink.raws[2], sink.pos)
	}
}
