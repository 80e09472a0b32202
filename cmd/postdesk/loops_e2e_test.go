package main

import (
	"context"
	"fmt"
	"github.com/postdesk/postdesk/internal/smtptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// settle waits until the relay has seen no new mail for quiet, or fails
// after limit.
func settle(t *testing.T, relay *smtptest.Relay, quiet, limit time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(limit)
	last, since := relay.Count(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if n := relay.Count(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return last
		}
	}
	t.Fatalf("mail kept flowing for %v: %d mails", limit, relay.Count())
	return 0
}

// TestPropertiesAcknowledgingEachOther: two properties of one gateway
// write to each other through a relay that delivers back into the gateway.
// Each acknowledges the other's mail; the loop header stops it at once.
func TestPropertiesAcknowledgingEachOther(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "a", "--name", "A", "--address", "help@a.test")
	cli(t, data, "property", "add", "--slug", "b", "--name", "B", "--address", "help@b.test")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	relay.OnMail(func(m smtptest.Mail) { send(srv.addr, m.From, m.To, m.Raw) }) // the relay is the world's MX
	first := "From: help@b.test\r\nTo: help@a.test\r\nSubject: hello A\r\nMessage-ID: <b-to-a@b.test>\r\n\r\nhi\r\n"
	mustSend(t, srv.addr, "help@b.test", []string{"help@a.test"}, first)
	n := settle(t, relay, time.Second, 15*time.Second)
	if n > 2 {
		t.Errorf("%d mails crossed the relay, want the loop stopped at once", n)
	}
}

// TestAutoResponderStorm: a hostile auto-responder answers every mail at
// once, with no Auto-Submitted header and no threading headers, to the
// property's own address, so that each answer opens a new ticket. The caps
// stop the storm: at most AcksPerHour acknowledgements reach it, and its
// tickets beyond the limit are held, not dropped.
func TestAutoResponderStorm(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	var answered atomic.Int64
	relay.OnMail(func(m smtptest.Mail) {
		n := answered.Add(1)
		reply := fmt.Sprintf("From: bot@responder.test\r\nTo: support@acme.test\r\nSubject: I got your mail %d\r\n"+
			"Message-ID: <bot-%d@responder.test>\r\n\r\nThanks for writing!\r\n", n, n)
		send(srv.addr, "bot@responder.test", []string{"support@acme.test"}, []byte(reply))
	})
	first := "From: bot@responder.test\r\nTo: support@acme.test\r\nSubject: hello\r\nMessage-ID: <bot-0@responder.test>\r\n\r\nhi\r\n"
	mustSend(t, srv.addr, "bot@responder.test", []string{"support@acme.test"}, first)
	settle(t, relay, 1500*time.Millisecond, 30*time.Second)
	if n := len(relay.To("bot@responder.test")); n != 10 {
		t.Errorf("the auto-responder received %d acknowledgements, want the cap of 10", n)
	}
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tickets, _ := st.Tickets(context.Background(), "acme", "")
	held, _ := st.Count(context.Background(), "held")
	if len(tickets) != 11 || held != 0 {
		t.Errorf("%d tickets and %d held, want 11 tickets (the first and ten answers to acknowledgements)", len(tickets), held)
	}
}

// TestBouncesToVERP: every mail of the sisimai corpus sent to the bounce
// address (VERP) of an acknowledgement to carol is kept and opens no ticket
// and is never answered: the bounces are recorded and linked to the
// acknowledgement, the auto-replies among them (and the few mails that are
// no failure notice) are threaded into its ticket as automatic messages. As
// the corpus reports on other recipients than carol, none of it changes
// anything (issue 8 item 2). Then each delivery report is sent again with
// its recipient rewritten to carol: each is verified, and carol is
// suppressed.
func TestBouncesToVERP(t *testing.T) {
	root := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(root, "sisimai", "maildir", "bsd", "*"))
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	first := "From: carol@example.com\r\nTo: support@acme.test\r\nSubject: hi\r\nMessage-ID: <c1@example.com>\r\n\r\nhello\r\n"
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, first)
	ack := relay.WaitFor(t, "carol@example.com", 1)[0]
	verp := ack.From
	if !strings.HasPrefix(verp, "support+") || !strings.HasSuffix(verp, "@acme.test") {
		t.Fatalf("envelope sender %q is not a VERP address of the property", verp)
	}
	raws := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raws[f] = raw
		if err := send(srv.addr, "", []string{verp}, raw); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
	}
	settle(t, relay, 500*time.Millisecond, 20*time.Second)
	st := openTestStore(t, data)
	ctx := context.Background()
	tickets, _ := st.Tickets(ctx, "acme", "")
	tk, _ := st.Ticket(ctx, "acme", 1)
	bounces, _ := st.Bounces(ctx, tk.ID)
	msgs, _ := st.Messages(ctx, tk.ID)
	if len(tickets) != 1 {
		t.Errorf("%d tickets after %d corpus mails, want 1: mail to a bounce address never opens a ticket", len(tickets), len(files))
	}
	linked := 0
	for _, b := range bounces {
		if b.OutboxID != 0 {
			linked++
		}
		if b.Verified {
			t.Errorf("bounce %d verified, but it reports on %q, not carol", b.ID, b.Recipient)
		}
	}
	threaded := 0
	for _, m := range msgs[1:] {
		if !m.AutoReply {
			t.Errorf("message %q threaded without being marked automatic", m.Subject)
		}
		threaded++
	}
	t.Logf("%d bounces linked, %d automatic messages threaded", linked, threaded)
	if linked+threaded != len(files) || threaded > 12 {
		t.Errorf("%d bounces linked and %d messages threaded, want all %d mails, at most 12 of them threaded", linked, threaded, len(files))
	}
	if n := len(relay.To("carol@example.com")); n != 1 {
		t.Errorf("carol received %d mails, want 1 (bounces are never answered)", n)
	}
	if n, _ := st.Count(ctx, "suppressions"); n != 0 {
		t.Errorf("%d addresses suppressed by reports on other recipients, want 0", n)
	}

	// The delivery reports again, now about carol.
	reports := 0
	for _, f := range files {
		raw, ok := aboutCarol(raws[f])
		if !ok {
			continue
		}
		reports++
		if err := send(srv.addr, "", []string{verp}, raw); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		latest, err := st.PropertyBounces(ctx, tk.PropertyID)
		if err != nil {
			t.Fatal(err)
		}
		if b := latest[0]; !b.Verified {
			t.Errorf("%s about carol: not verified (recipient %q)", filepath.Base(f), b.Recipient)
		}
	}
	t.Logf("%d delivery reports rewritten to report on carol", reports)
	if n, _ := st.Count(ctx, "suppressions"); n != 1 {
		t.Errorf("%d addresses suppressed after permanent failures of mail to carol, want 1", n)
	}
	show := cli(t, data, "ticket", "show", "1")
	if !strings.Contains(show, "bounce") || !strings.Contains(show, "no more mail to carol@example.com") {
		t.Errorf("ticket show does not show the bounces and the suppression:\n%.2000s", show)
	}
}

// finalRecipient finds the recipients a delivery report names (RFC 3464
// §2.3.1, §2.3.2).
var finalRecipient = regexp.MustCompile(`(?im)^(?:final|original)-recipient:\s*rfc822\s*;\s*<?([^\s<>;]+@[^\s<>;]+)`)

// aboutCarol rewrites the recipients a delivery report names to carol's
// address, everywhere in the mail; ok is false for mail that names none.
func aboutCarol(raw []byte) ([]byte, bool) {
	found := finalRecipient.FindAllSubmatch(raw, -1)
	if len(found) == 0 {
		return nil, false
	}
	out := string(raw)
	for _, m := range found {
		out = strings.ReplaceAll(out, string(m[1]), "carol@example.com")
	}
	return []byte(out), true
}

// TestOutboxSurvivesKill: rows queued while the relay does not answer are
// delivered after a SIGKILL and restart, none lost.
func TestOutboxSurvivesKill(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	hung := startHungRelay(t)
	srv := startServer(t, data, "--relay", "smtp://"+hung+"?tls=none")
	for i := 0; i < 5; i++ {
		msg := fmt.Sprintf("From: c%d@example.com\r\nTo: support@acme.test\r\nSubject: m%d\r\nMessage-ID: <k%d@example.com>\r\n\r\nx\r\n", i, i, i)
		mustSend(t, srv.addr, fmt.Sprintf("c%d@example.com", i), []string{"support@acme.test"}, msg)
	}
	time.Sleep(200 * time.Millisecond) // the worker is now stuck on the hung relay
	srv.cmd.Process.Kill()
	<-srv.done
	relay := smtptest.Start(t)
	startServer(t, data, "--relay", relay.URL())
	// 5 acknowledgements and 5 copies to alice.
	relay.WaitFor(t, "alice@acme.test", 5)
	for i := 0; i < 5; i++ {
		relay.WaitFor(t, fmt.Sprintf("c%d@example.com", i), 1)
	}
	var rows []ticket.Ticket
	cliJSON(t, data, &rows, "ticket", "list")
	if len(rows) != 5 {
		t.Errorf("%d tickets, want 5", len(rows))
	}
}

// startHungRelay accepts connections and never answers.
func startHungRelay(t *testing.T) string {
	t.Helper()
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

// TestOutboundParsesInPython: every mail of an agent round trip parses
// without defects in Python's email package, an independent MIME
// implementation, and its threading headers chain there.
func TestOutboundParsesInPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: this test checks outbound mail with Python's email package")
	}
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	raw := readTestdata(t, "../../ingest/testdata/inline-pdf.eml")
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, string(raw))
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	rcpt, reply := replyFrom(t, copy1, "alice@acme.test", "Here is the answer, Café crème included.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	answer := relay.WaitFor(t, "carol@example.com", 2)
	dir := t.TempDir()
	for i, m := range append(answer, copy1) {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.eml", i)), m.Raw, 0o600)
	}
	out, err := exec.Command(python, "testdata/check_mime.py", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("Python's email package: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
