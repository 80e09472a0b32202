package main

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TestIMAPDovecotThousand: 1,000 messages in a real Dovecot folder are
// fetched once each, mail already \Seen among them; the folder keeps its
// messages and flags; a restart fetches nothing again.
func TestIMAPDovecotThousand(t *testing.T) {
	dc := needDovecot(t)
	folder := dc.folder(t)
	const n = 1000
	dc.appendMails(t, folder, imapMails("thousand", n, 2048))
	data := t.TempDir()
	setupAcme(t, data)
	addMailbox(t, data, dc.addr, dc.user, dc.password, folder)
	start := time.Now()
	srv := startServer(t, data)
	m := waitImported(t, data, n, 3*time.Minute)
	t.Logf("%d messages fetched and stored in %v", n, time.Since(start).Round(time.Millisecond))
	srv.stop(t)
	if m.Imported != n || m.Skipped != 0 {
		t.Errorf("mailbox status: %d imported, %d skipped; want %d and 0", m.Imported, m.Skipped, n)
	}
	srv = startServer(t, data)
	time.Sleep(2 * time.Second)
	srv.stop(t)
	checkOnce(t, data, "thousand", n, 0)
	if m := mailboxState(t, data); m.Imported != n {
		t.Errorf("after a restart the fetcher stored %d messages for %d in the folder", m.Imported, n)
	}
	if msgs, unseen := dc.status(t, folder); msgs != n || unseen != n-n/10 {
		t.Errorf("folder after fetching: %d messages, %d unseen; want %d and %d (unchanged)", msgs, unseen, n, n-n/10)
	}
}

// TestIMAPDovecotConnectionCut: the connection to Dovecot is cut again and
// again while messages are fetched; in the end each is stored once.
func TestIMAPDovecotConnectionCut(t *testing.T) {
	dc := needDovecot(t)
	folder := dc.folder(t)
	const n = 300
	dc.appendMails(t, folder, imapMails("cut", n, 4096))
	proxy := startCutProxy(t, dc.addr)
	data := t.TempDir()
	setupAcme(t, data)
	addMailbox(t, data, proxy.ln.Addr().String(), dc.user, dc.password, folder)
	srv := startServer(t, data)
	var lastUIDs []uint32
	for i := range 4 {
		srv.waitDelivered(t, 30*(i+1)+rand.IntN(30))
		proxy.cut()
		lastUIDs = append(lastUIDs, mailboxState(t, data).LastUID)
	}
	m := waitImported(t, data, n, 2*time.Minute)
	srv.stop(t)
	if m.Imported != n {
		t.Errorf("the fetcher stored %d messages for %d in the folder: some were fetched twice", m.Imported, n)
	}
	if !strings.Contains(srv.logText(), "reconnecting") {
		t.Errorf("the log shows no reconnection after %d cuts", proxy.cuts)
	}
	t.Logf("positions at the cuts: %v", lastUIDs)
	if lastUIDs[0] >= n {
		t.Errorf("the first cut came after the fetch ended (UID %d): the test proves nothing", lastUIDs[0])
	}
	checkOnce(t, data, "cut", n, 0)
}

// TestIMAPDovecotKilled: the gateway is SIGKILLed in the middle of
// fetching, three times; after a last start each message is stored once.
func TestIMAPDovecotKilled(t *testing.T) {
	dc := needDovecot(t)
	folder := dc.folder(t)
	const n = 500
	dc.appendMails(t, folder, imapMails("kill", n, 2048))
	data := t.TempDir()
	setupAcme(t, data)
	addMailbox(t, data, dc.addr, dc.user, dc.password, folder)
	var at []uint32
	for range 3 {
		srv := startServer(t, data)
		srv.waitDelivered(t, 20+rand.IntN(60)) // in the middle of a batch of 100
		srv.cmd.Process.Kill()
		<-srv.done
		at = append(at, mailboxState(t, data).LastUID)
	}
	t.Logf("killed at UIDs %v", at)
	if at[len(at)-1] >= n {
		t.Errorf("the last kill came after the fetch ended (UID %d): the test proves nothing", at[len(at)-1])
	}
	srv := startServer(t, data)
	m := waitImported(t, data, n, 2*time.Minute)
	srv.stop(t)
	checkOnce(t, data, "kill", n, 0)
	if m.Imported != n {
		t.Errorf("the fetcher stored %d messages for %d in the folder: some were fetched twice", m.Imported, n)
	}
	if _, err := cliErr(data, "check"); err != nil {
		t.Errorf("postdesk check after the kills: %v", err)
	}
}

// TestIMAPDovecotIdle: a mail appended while the fetcher idles is a ticket
// within 2 seconds; with --move-to it then leaves the folder for the
// archive folder, and only then.
func TestIMAPDovecotIdle(t *testing.T) {
	dc := needDovecot(t)
	folder := dc.folder(t)
	archive := dc.folder(t)
	data := t.TempDir()
	setupAcme(t, data)
	addMailbox(t, data, dc.addr, dc.user, dc.password, folder, "--move-to", archive)
	srv := startServer(t, data)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(srv.logText(), "msg=fetching") {
		if time.Now().After(deadline) {
			t.Fatalf("the fetcher did not start:\n%s", srv.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // connected and idling
	start := time.Now()
	dc.appendMails(t, folder, []string{"From: Bob <bob@example.com>\r\nTo: support@acme.test\r\nSubject: arrived during IDLE\r\nMessage-ID: <idle-0@imap.test>\r\n\r\nhello\r\n"})
	var took time.Duration
	for {
		var tickets []ticket.Ticket
		cliJSON(t, data, &tickets, "ticket", "list", "--property", "acme")
		if len(tickets) == 1 {
			took = time.Since(start)
			if tickets[0].Subject != "arrived during IDLE" {
				t.Errorf("ticket subject %q", tickets[0].Subject)
			}
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("no ticket 5s after the append:\n%s", srv.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("appended → ticket in %v", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("a mail appended during IDLE became a ticket after %v, want within 2s", took)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		in, _ := dc.status(t, folder)
		arch, _ := dc.status(t, archive)
		if in == 0 && arch == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("--move-to: folder %d, archive %d messages; want 0 and 1", in, arch)
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.stop(t) // while the fetcher idles
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("serve stopped while fetching exited %d, want 0:\n%s", code, srv.logText())
	}
}

// TestMailboxCommands: the password never reaches the command line or the
// database; each bad input is refused naming its flag.
func TestMailboxCommands(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"imaps://u:hunter2@mail.acme.test/INBOX", "--password-env", "PW"}, "password does not belong in the URL"},
		{[]string{"imaps://u@mail.acme.test/INBOX"}, "missing --password-file or --password-env"},
		{[]string{"imaps://u@mail.acme.test/INBOX", "--password-env", "PW", "--password-file", "/etc/hostname"}, "give one, not both"},
		{[]string{"imaps://u@mail.acme.test/INBOX", "--password-env", "not a name"}, "--password-env"},
		{[]string{"imaps://u@mail.acme.test/INBOX", "--password-file", "/nonexistent/pw"}, "--password-file"},
		{[]string{"imaps://u@mail.acme.test/INBOX", "--password-env", "PW", "--move-to", "INBOX"}, "--move-to"},
		{[]string{"pop3://u@mail.acme.test/", "--password-env", "PW"}, "scheme"},
	} {
		_, err := cliErr(data, append([]string{"mailbox", "add", "--property", "acme"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("mailbox add %v: %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	_, help := cliErr(data, "mailbox", "add", "-h")
	if help == nil || !strings.Contains(help.Error(), "-password-file") || strings.Contains(help.Error(), "-ack-limit") {
		t.Errorf("mailbox add -h shows other than its own flags: %v", help)
	}
	url := addMailbox(t, data, "mail.acme.test:993", "support", "s3cret-Pa55", "INBOX")
	cli(t, data, "mailbox", "add", "--property", "acme", "imaps://other@mail.acme.test", "--password-env", "ACME_IMAP_PW", "--move-to", "Imported")
	if _, err := cliErr(data, "mailbox", "add", "--property", "acme", url, "--password-env", "X"); err == nil {
		t.Error("the same mailbox was added twice")
	}
	out := cli(t, data, "mailbox", "list", "--property", "acme")
	for _, want := range []string{url, "file /", "imaps://other@mail.acme.test:993/INBOX", "env ACME_IMAP_PW", "Imported"} {
		if !strings.Contains(out, want) {
			t.Errorf("mailbox list lacks %q:\n%s", want, out)
		}
	}
	raw, err := json.Marshal(mailboxState(t, data))
	if err != nil {
		t.Fatal(err)
	}
	seen := string(raw) + out
	files, _ := filepath.Glob(filepath.Join(data, "postdesk.db*"))
	for _, f := range files {
		seen += string(readTestdata(t, f))
	}
	if len(files) == 0 || strings.Contains(seen, "s3cret-Pa55") {
		t.Error("the password is stored or printed")
	}
	cli(t, data, "mailbox", "remove", "--property", "acme", "1")
	if out := cli(t, data, "mailbox", "list", "--property", "acme"); strings.Contains(out, url) {
		t.Errorf("removed mailbox still listed:\n%s", out)
	}
	if _, err := cliErr(data, "mailbox", "remove", "--property", "acme", "1"); err == nil {
		t.Error("removing a removed mailbox succeeded")
	}
}

// TestIMAPDovecotUIDValidity: the folder is deleted and made again (a new
// UIDVALIDITY) with the same mail and one more: everything is fetched
// again, the mail already stored is recognised, and nothing is stored twice.
func TestIMAPDovecotUIDValidity(t *testing.T) {
	dc := needDovecot(t)
	folder := dc.folder(t)
	mails := imapMails("uidvalidity", 4, 1024)
	dc.appendMails(t, folder, mails[:3])
	data := t.TempDir()
	setupAcme(t, data)
	addMailbox(t, data, dc.addr, dc.user, dc.password, folder)
	srv := startServer(t, data)
	before := waitImported(t, data, 3, time.Minute)
	srv.stop(t)
	c := dc.client(t)
	if err := c.Delete(folder).Wait(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // Dovecot's UIDVALIDITY counts seconds
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	dc.appendMails(t, folder, mails)
	srv = startServer(t, data)
	deadline := time.Now().Add(time.Minute)
	for m := mailboxState(t, data); m.UIDValidity == before.UIDValidity || m.LastUID < 4; m = mailboxState(t, data) {
		if time.Now().After(deadline) {
			t.Fatalf("after a UIDVALIDITY change the mailbox is at %d/%d, was %d/%d", m.UIDValidity, m.LastUID, before.UIDValidity, before.LastUID)
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.stop(t)
	if !strings.Contains(srv.logText(), "UIDVALIDITY changed") {
		t.Error("the log does not say that UIDVALIDITY changed")
	}
	checkOnce(t, data, "uidvalidity", 4, 3)
}
