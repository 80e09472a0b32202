package main

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/store"
)

// rawSMTP delivers raw, byte for byte (dot-stuffed, nothing else changed),
// over a plain SMTP dialogue on a net.Conn, and returns the final reply.
// Unlike net/smtp it leaves a lone CR or LF in the data alone.
func rawSMTP(t *testing.T, addr, from, rcpt string, raw []byte) string {
	t.Helper()
	c, r := dialRaw(t, addr)
	defer c.Close()
	for _, cmd := range []string{"EHLO test.local", "MAIL FROM:<" + from + ">", "RCPT TO:<" + rcpt + ">", "DATA"} {
		if got := sendLine(t, c, r, cmd); got[0] != '2' && got[0] != '3' {
			t.Fatalf("%s: %s", cmd, got)
		}
	}
	w := bufio.NewWriter(c)
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(".")) {
			w.WriteByte('.')
		}
		w.Write(line)
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return reply(t, c, r)
}

// nestedMail is the review's attack: depth multipart/mixed levels, each
// holding the next (6,000 levels are about 410 KB).
func nestedMail(id string, depth int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: a@example.com\r\nSubject: deep %s\r\nMessage-ID: <%s@example.com>\r\nMIME-Version: 1.0\r\n", id, id)
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nhi\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// TestDeepMIMEDoesNotStallDelivery: two mails of 6,000 nested multipart
// levels are sent at once, as many as the parse slots of a two-core
// machine; a normal mail sent right after them still gets its 250 within
// 5 seconds (on the code before the MIME limits, about 60). The deep
// mails are stored, header-only, with a warning naming the limit.
func TestDeepMIMEDoesNotStallDelivery(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--ack-limit", "1000", "--new-ticket-limit", "1000")
	hostile := make(chan string, 2)
	for i := range 2 {
		go func() {
			hostile <- fmt.Sprint(send(srv.addr, "x@example.com", []string{"support@acme.test"}, nestedMail(fmt.Sprintf("deep%d", i), 6000)))
		}()
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if got := rawSMTP(t, srv.addr, "y@example.com", "support@acme.test",
		[]byte("From: y@example.com\r\nSubject: normal\r\nMessage-ID: <normal@example.com>\r\n\r\nhello\r\n")); !strings.HasPrefix(got, "250") {
		t.Fatalf("normal mail: %s", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the normal mail took %v behind two deeply nested ones, want at most 5s", d)
	}
	for range 2 {
		select {
		case err := <-hostile:
			if err != "<nil>" {
				t.Errorf("deep mail: %s, want it stored", err)
			}
		case <-time.After(120 * time.Second):
			t.Fatal("deep mails not answered within 120s")
		}
	}
	var list []struct{ Number int64 }
	cliJSON(t, data, &list, "ticket", "list")
	if len(list) != 3 {
		t.Fatalf("%d tickets, want 3", len(list))
	}
	found := 0
	for _, tk := range list {
		if out := cli(t, data, "ticket", "show", itoa64(tk.Number)); strings.Contains(out, "MaxMIMEDepth") {
			found++
		}
	}
	if found != 2 {
		t.Errorf("%d tickets show a warning naming MaxMIMEDepth, want the 2 deep mails", found)
	}
}

// TestHostileAddressesNeverReachTheEnvelope: addresses that cannot be
// written back safely (a quoted local part carrying RCPT parameters or a
// space, control characters, a CR) never become a requester, participant
// or recipient: the requester falls back to From or the envelope sender,
// the message keeps a warning, the relay sees no injected parameter and no
// row retries. What the CLI prints of such mail is escaped.
func TestHostileAddressesNeverReachTheEnvelope(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--new-ticket-limit", "1")
	mustSend(t, srv.addr, "eve@evil.test", []string{"support@acme.test"}, "From: eve@evil.test\r\nTo: support@acme.test\r\n"+
		"Reply-To: \"bob@x.test> notify=never orcpt=rfc822;z\"@evil.test\r\nCc: \"a b\"@evil.test, carol@customer.test\r\n"+
		"Subject: inj\r\nMessage-ID: <inj@evil.test>\r\n\r\nx\r\n")
	for i, raw := range []string{
		"From: \x1b[2J\x1b]0;owned\x07evil@evil.test\r\nSubject: \x1b[31mred\r\nMessage-ID: <esc1@evil.test>\r\n\r\nhi\r\n",
		"From: a@example.com\rX\r\nSubject: cr\r\nMessage-ID: <cr1@evil.test>\r\n\r\nbody\r\n",
		// esc's second mail is over the new-ticket limit of 1: held.
		"From: esc@evil.test\r\nSubject: \x1b[31mheld\r\nMessage-ID: <esc2@evil.test>\r\n\r\nhi\r\n",
	} {
		from := []string{"esc@evil.test", "cr@evil.test", "esc@evil.test"}[i]
		if got := rawSMTP(t, srv.addr, from, "support@acme.test", []byte(raw)); !strings.HasPrefix(got, "250") {
			t.Fatalf("mail %d: %s", i, got)
		}
	}
	for _, rcpt := range []string{"eve@evil.test", "esc@evil.test", "cr@evil.test", "carol@customer.test"} {
		if rcpt != "carol@customer.test" {
			relay.WaitFor(t, rcpt, 1)
		}
	}
	settle(t, relay, time.Second, 20*time.Second)
	if wire := strings.ToLower(string(relay.Wire())); strings.Contains(wire, "notify=never") || strings.Contains(wire, "<a b@") {
		t.Errorf("the relay received injected RCPT parameters:\n%s", wire)
	}
	var list []struct {
		Number    int64
		Requester string
	}
	cliJSON(t, data, &list, "ticket", "list")
	var requesters []string
	for _, tk := range list {
		requesters = append(requesters, tk.Requester)
	}
	if got := strings.Join(requesters, " "); !sameWords(got, "eve@evil.test esc@evil.test cr@evil.test") {
		t.Errorf("requesters %q, want eve@evil.test esc@evil.test cr@evil.test (From or envelope sender)", got)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if got := participants(t, data, 1); !sameWords(strings.Join(got, " "), "eve@evil.test carol@customer.test") {
		t.Errorf("participants of #1: %q, want eve and carol only", got)
	}
	if w := strings.Join(v.Messages[0].Warnings, "\n"); !strings.Contains(w, "Reply-To address dropped") || !strings.Contains(w, "Cc address dropped") {
		t.Errorf("warnings of #1: %q, want the dropped Reply-To and Cc named", w)
	}
	var rows []store.OutboxRow
	cliJSON(t, data, &rows, "outbox", "list")
	for _, r := range rows {
		if r.Status != ticket.OutSent {
			t.Errorf("outbox row to %q is %s (%s), want sent", r.Rcpt, r.Status, r.LastError)
		}
	}
	for _, args := range [][]string{{"ticket", "list"}, {"held", "list"}, {"ticket", "show", "2"}, {"held", "show", "1"}} {
		out := cli(t, data, args...)
		if strings.ContainsAny(out, "\x1b\x07\r") {
			t.Errorf("postdesk %s printed control characters raw: %q", strings.Join(args, " "), out)
		}
		// Intake makes a subject one line (RFC 5322 §3.2.5): its ESC is
		// stored as a space. The raw mail `held show` prints still holds
		// it, and prints it escaped.
		want := " [31m"
		if args[1] == "show" && args[0] == "held" {
			want = `\x1b[31m`
		}
		if !strings.Contains(out, want) {
			t.Errorf("postdesk %s does not show the escape sequence neutralised (%q): %q", strings.Join(args, " "), want, out)
		}
	}
}

// sameWords reports whether a and b hold the same space-separated words.
func sameWords(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// TestNewTicketLimitCountsTheSender: new tickets count against the From
// address without its +detail, not the Reply-To: a stranger naming bob in
// Reply-To does not lock bob out, and rotating Reply-To or +detail does
// not escape the limit.
func TestNewTicketLimitCountsTheSender(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--new-ticket-limit", "3", "--ack-limit", "1000")
	mail := func(from, replyTo, subject string) string {
		rt := ""
		if replyTo != "" {
			rt = "Reply-To: " + replyTo + "\r\n"
		}
		return "From: " + from + "\r\nTo: support@acme.test\r\n" + rt + "Subject: " + subject + "\r\n\r\nx\r\n"
	}
	for i := range 4 {
		mustSend(t, srv.addr, "eve@evil.test", []string{"support@acme.test"}, mail("eve@evil.test", "bob@example.com", fmt.Sprint("eve ", i)))
	}
	mustSend(t, srv.addr, "bob@example.com", []string{"support@acme.test"}, mail("Bob <bob@example.com>", "", "bob's own question"))
	for i := range 5 {
		mustSend(t, srv.addr, "mallory@evil.test", []string{"support@acme.test"}, mail("mallory@evil.test", fmt.Sprintf("r%d@victims.test", i), fmt.Sprint("rotating ", i)))
		mustSend(t, srv.addr, "carl@evil.test", []string{"support@acme.test"}, mail(fmt.Sprintf("carl+%d@evil.test", i), "", fmt.Sprint("detail ", i)))
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	var subjects []string
	for _, h := range held {
		subjects = append(subjects, strings.ReplaceAll(h.Subject, " ", "_"))
	}
	if got := strings.Join(subjects, " "); !sameWords(got, "eve_3 rotating_3 rotating_4 detail_3 detail_4") {
		t.Errorf("held: %q; want eve's 4th, mallory's and carl's 4th and 5th, never bob's", got)
	}
}

// TestAckLimitAddressVariants: "dan@example.com." and "dan@[127.0.0.1]"
// in Reply-To are no addresses a contact can have (a trailing dot, an
// address literal), so they do not add to the acknowledgements dan@
// receives: the mail is acknowledged to its From instead.
func TestAckLimitAddressVariants(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	var mu sync.Mutex
	dan := 0
	relay.OnMail(func(m smtptest.Mail) {
		mu.Lock()
		defer mu.Unlock()
		for _, rcpt := range m.To {
			if strings.HasPrefix(strings.ToLower(rcpt), "dan") {
				dan++
			}
		}
	})
	srv := startServer(t, data, "--relay", relay.URL(), "--ack-limit", "2", "--new-ticket-limit", "1000")
	for i, rt := range []string{"dan@example.com", "dan@example.com.", "dan@[127.0.0.1]", "DAN@EXAMPLE.COM", "dan+x@example.com."} {
		for j := range 3 {
			from := fmt.Sprintf("z%d-%d@evil.test", i, j)
			mustSend(t, srv.addr, from, []string{"support@acme.test"}, "From: "+from+"\r\nTo: support@acme.test\r\nReply-To: "+rt+
				"\r\nSubject: ack\r\n\r\nx\r\n")
		}
	}
	settle(t, relay, 1500*time.Millisecond, 30*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if dan != 2 {
		t.Errorf("%d acknowledgements to variants of dan@example.com, want the limit of 2", dan)
	}
}
