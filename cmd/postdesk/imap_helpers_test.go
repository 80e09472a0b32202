package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postdesk/postdesk/store"
)

// dovecot is the real IMAP server .ci/run starts (.ci/dovecot.sh): its
// address and test account, from POSTDESK_TEST_IMAP=host:port,user,password.
type dovecot struct{ addr, user, password string }

func needDovecot(t *testing.T) dovecot {
	t.Helper()
	if testing.Short() {
		t.Skip("Dovecot tests skipped in -short mode")
	}
	parts := strings.Split(os.Getenv("POSTDESK_TEST_IMAP"), ",")
	if len(parts) != 3 {
		t.Skip("no Dovecot: .ci/run starts one; or run `.ci/dovecot.sh start` (needs apt-get install dovecot-imapd) and export the POSTDESK_TEST_IMAP it prints")
	}
	d := dovecot{parts[0], parts[1], parts[2]}
	c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
	if err != nil {
		t.Fatalf("POSTDESK_TEST_IMAP names %s, but it does not answer: %v", d.addr, err)
	}
	c.Close()
	return d
}

// folder creates a folder of its own for the test and returns its name.
func (d dovecot) folder(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().UnixNano())
	c := d.client(t)
	defer c.Close()
	if err := c.Create(name, nil).Wait(); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return name
}

// client logs in to the test account.
func (d dovecot) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(d.user, d.password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// appendMails appends messages to folder; every tenth is already \Seen.
func (d dovecot) appendMails(t *testing.T, folder string, msgs []string) {
	t.Helper()
	c := d.client(t)
	defer c.Close()
	for i, m := range msgs {
		var flags []imap.Flag
		if i%10 == 0 {
			flags = []imap.Flag{imap.FlagSeen}
		}
		cmd := c.Append(folder, int64(len(m)), &imap.AppendOptions{Flags: flags})
		if _, err := io.WriteString(cmd, m); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

// status returns the number of messages and unseen messages in folder.
func (d dovecot) status(t *testing.T, folder string) (messages, unseen uint32) {
	t.Helper()
	c := d.client(t)
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true, NumUnseen: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumMessages, *st.NumUnseen
}

// imapMails makes n mails of about size bytes, each from its own sender
// (so that no new-ticket limit holds any), with Message-IDs prefix-N@imap.test.
func imapMails(prefix string, n, size int) []string {
	out := make([]string, n)
	for i := range out {
		head := fmt.Sprintf("Return-Path: <c%d@example.com>\r\nFrom: c%d@example.com\r\nTo: support@acme.test\r\nSubject: %s %d\r\nMessage-ID: <%s-%d@imap.test>\r\nDate: Sat, 21 Nov 2026 12:00:00 +0000\r\n\r\n",
			i, i, prefix, i, prefix, i)
		body := strings.Repeat("All work and no play makes Jack a dull boy.\r\n", max(1, (size-len(head))/45))
		out[i] = head + body
	}
	return out
}

// addMailbox adds the folder as the acme property's mailbox, its password
// in a file, and returns the mailbox URL.
func addMailbox(t *testing.T, data, addr, user, password, folder string, extra ...string) string {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "imap-password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("imap://%s@%s/%s?tls=none", user, addr, folder)
	cli(t, data, append([]string{"mailbox", "add", "--property", "acme", url, "--password-file", pwFile}, extra...)...)
	return url
}

// mailboxState reads the first mailbox's row through `mailbox status --json`.
func mailboxState(t *testing.T, data string) store.Mailbox {
	t.Helper()
	var list []store.Mailbox
	cliJSON(t, data, &list, "mailbox", "status", "--property", "acme")
	if len(list) == 0 {
		t.Fatal("no mailbox")
	}
	return list[0]
}

// waitImported waits until the mailbox's position reaches lastUID.
func waitImported(t *testing.T, data string, lastUID uint32, within time.Duration) store.Mailbox {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m := mailboxState(t, data)
		if m.LastUID >= lastUID {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the mailbox is at UID %d of %d (last error: %q)", within, m.LastUID, lastUID, m.LastError)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkOnce checks that each of the n messages prefix-N@imap.test is stored
// exactly once, and that again of them were fetched twice (and recognised).
func checkOnce(t *testing.T, data, prefix string, n, wantAgain int) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.MessageIDCounts(context.Background(), prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	missing, twice := 0, 0
	for i := range n {
		switch counts[fmt.Sprintf("%s-%d@imap.test", prefix, i)] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing > 0 || twice > 0 || len(counts) != n {
		t.Errorf("of %d messages in the mailbox: %d missing, %d stored twice, %d distinct stored", n, missing, twice, len(counts))
	}
	// A message fetched twice is stored once (the pipeline knows it) but
	// leaves an arrived-again event: there must be none.
	tickets, err := st.Tickets(context.Background(), "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	again := 0
	for _, tk := range tickets {
		events, err := st.Events(context.Background(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind == "arrived-again" {
				again++
			}
		}
	}
	if again != wantAgain {
		t.Errorf("%d messages were fetched twice (arrived-again events), want %d", again, wantAgain)
	}
}

// cutProxy relays TCP connections to target and can cut them all at once.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cuts   int
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// cut closes every relayed connection, as a network failure would.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.cuts++
}

// waitDelivered waits until the server has logged n deliveries.
func (s *server) waitDelivered(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for strings.Count(s.logText(), "msg=delivered") < n {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not log %d deliveries within a minute", n)
		}
		time.Sleep(time.Millisecond)
	}
}
