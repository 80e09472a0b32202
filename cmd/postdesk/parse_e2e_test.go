package main

import (
	"bytes"
	bin "encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/internal/smtptest"
	tw "github.com/postdesk/postdesk/internal/tneftest"
)

// forgedRowSubject is the security review's subject: an encoded newline
// followed by what looks like a row of `ticket list`.
const forgedRowSubject = "=?utf-8?q?hello=0A#99_____closed____urgent____ceo@acme.test____-_____2026-11-21_12:00:00__refund_approved?="

// TestEncodedNewlineSubjectOneRow: a Subject whose encoded word decodes to
// a newline is stored as one line, so `ticket list` and `held list` print
// one row for the mail, `ticket show` no forged line, and the notice of
// mail held in a member's name quotes it on one line.
func TestEncodedNewlineSubjectOneRow(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	for _, from := range []string{"carol@example.com", "alice@acme.test"} {
		c, err := dialSMTP(srv.addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		msg := fmt.Sprintf("From: %s\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <nl-%s>\r\n\r\nhi\r\n", from, forgedRowSubject, from)
		if err := c.send(from, []string{"support@acme.test"}, []byte(msg)); err != nil {
			t.Fatalf("send from %s: %v", from, err)
		}
		c.Close()
	}
	for _, args := range [][]string{{"ticket", "list"}, {"held", "list"}} {
		out := cli(t, data, args...)
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if len(lines) != 2 || !strings.Contains(lines[1], "hello #99") {
			t.Errorf("%s printed %d lines, want a heading and one row holding the whole subject:\n%s", strings.Join(args, " "), len(lines), out)
		}
	}
	for _, l := range strings.Split(cli(t, data, "ticket", "show", "1"), "\n") {
		if strings.HasPrefix(l, "#99") {
			t.Errorf("ticket show printed a line of the subject's own: %q", l)
		}
	}
	notice := waitSubjects(t, relay, "alice@acme.test", "Held: a mail in your name", 1)[0]
	for _, l := range strings.Split(notice.Body(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#99") {
			t.Errorf("the held notice has a line of the subject's own: %q", l)
		}
	}
}

// hostileCase is a mail that cost a parser minutes of CPU before its fix.
type hostileCase struct {
	name string
	raw  func() []byte
}

func hostileMails() []hostileCase {
	return []hostileCase{
		{"folded header of 1.6 MB", func() []byte {
			return []byte("From: a@example.com\r\nTo: support@acme.test\r\nSubject: x\r\n" + strings.Repeat(" b\r\n", 400_000) +
				"Message-ID: <f@x.test>\r\n\r\nbody\r\n")
		}},
		{"winmail.dat of zero-size multi-values", func() []byte { return tnefMail(zeroSizeValueStream(640 << 10)) }},
	}
}

// zeroSizeValueStream is a TNEF stream whose attAttachment property list
// of about size bytes holds multi-valued PtypNull entries, each counting
// the bytes left (tnefgen.py quad_props).
func zeroSizeValueStream(size int) []byte {
	k := (size - 4) / 8
	list := bin.LittleEndian.AppendUint32(nil, uint32(k))
	for i := range k {
		list = bin.LittleEndian.AppendUint16(list, 0x1001)
		list = bin.LittleEndian.AppendUint16(list, 0x0001)
		list = bin.LittleEndian.AppendUint32(list, uint32(8*(k-i-1)))
	}
	return tw.New().Attachment(tw.Attachment{Title: "A.TXT", Data: []byte("a")}).
		Attribute(tw.LevelAttachment, tw.AttAttachment, list).Bytes()
}

// manyFilesMail is the review's winmail.dat mail, smaller: parts
// winmail.dat attachments of 500 empty files each.
func manyFilesMail(parts int) []byte {
	w := tw.New()
	for i := range 500 {
		w.Attachment(tw.Attachment{Title: fmt.Sprintf("F%d.TXT", i), Data: []byte{}})
	}
	streams := make([][]byte, parts)
	for i := range streams {
		streams[i] = w.Bytes()
	}
	return tnefMail(streams...)
}

// TestWinmailFilesCapped: 100 winmail.dat attachments of 500 files each
// make a message of 1,000 attachments (ingest.MaxAttachments), the rest
// left packed with a warning, not 50,100; the agent's copy carries the
// first 100 and says how many it leaves out.
func TestWinmailFilesCapped(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	c, err := dialSMTP(srv.addr, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.send("mallory@example.com", []string{"support@acme.test"}, manyFilesMail(100)); err != nil {
		t.Fatal(err)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if len(v.Messages) != 1 {
		t.Fatalf("ticket 1 has %d messages, want 1", len(v.Messages))
	}
	if m := v.Messages[0]; len(m.Attachments) != 1000 || !strings.Contains(strings.Join(m.Warnings, "\n"), "MaxAttachments") {
		t.Fatalf("the message has %d attachments, warnings %q; want 1000 and a warning naming MaxAttachments", len(m.Attachments), m.Warnings)
	}
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	env, err := enmime.ReadEnvelope(bytes.NewReader(copy1.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Attachments) != 100 || !strings.Contains(env.Text, "[900 of the 1000 attachments") {
		t.Errorf("the copy carries %d attachments, text %q; want 100 and a line saying 900 were left out", len(env.Attachments), env.Text)
	}
}

// tnefMail is a mail with one winmail.dat attachment per stream.
func tnefMail(streams ...[]byte) []byte {
	return tw.Mail("From: mallory@example.com\r\nTo: support@acme.test\r\nSubject: files\r\n", streams...)
}

// TestHostileMailLiveness: while two hostile mails of one kind are being
// parsed, a normal mail sent right after them gets its 250 within 5 s, and
// the hostile ones are stored too (nothing malformed is refused). Each kind
// gets a server of its own, so one kind's work cannot delay the next.
func TestHostileMailLiveness(t *testing.T) {
	for _, hc := range hostileMails() {
		t.Run(hc.name, func(t *testing.T) { hostileLiveness(t, hc.raw()) })
	}
}

func hostileLiveness(t *testing.T, raw []byte) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	written := make(chan struct{}, 2)
	for j := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[j] = sendSignalled(srv.addr, "mallory@example.com", raw, written)
		}()
	}
	for range errs {
		select {
		case <-written:
		case <-time.After(30 * time.Second):
			t.Fatal("the hostile mail was not written in 30 s")
		}
	}
	// Give the server a moment to read the data and start parsing, so the
	// normal mail comes after the hostile ones, not before.
	time.Sleep(time.Second)
	start := time.Now()
	c, err := dialSMTP(srv.addr, 5*time.Second)
	if err == nil {
		err = c.send("carol@example.com", []string{"support@acme.test"},
			[]byte("From: carol@example.com\r\nTo: support@acme.test\r\nSubject: normal\r\nMessage-ID: <normal@example.com>\r\n\r\nhi\r\n"))
		c.Close()
	}
	if took := time.Since(start); err != nil || took > 5*time.Second {
		t.Errorf("a normal mail sent meanwhile: %v after %v; want its 250 within 5 s", err, took.Round(time.Millisecond))
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("hostile mail: %v; want it stored", err)
		}
	}
}

// sendSignalled sends raw as rawClient.send does, signals on written once
// the data is out, and waits up to 60 s for the 250.
func sendSignalled(addr, from string, raw []byte, written chan<- struct{}) error {
	c, err := dialSMTP(addr, 60*time.Second)
	if err != nil {
		written <- struct{}{}
		return err
	}
	defer c.Close()
	for _, cmd := range []struct {
		code int
		line string
	}{{250, "MAIL FROM:<" + from + ">"}, {250, "RCPT TO:<support@acme.test>"}, {354, "DATA"}} {
		if err := c.cmd(cmd.code, "%s", cmd.line); err != nil {
			written <- struct{}{}
			return err
		}
	}
	data := append(lineStartDot.ReplaceAll(raw, []byte("..")), ".\r\n"...)
	_, err = c.conn.Write(data)
	written <- struct{}{}
	if err != nil {
		return err
	}
	_, err = c.reply(250)
	return err
}
