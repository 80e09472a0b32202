package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// composeSetup is acme with agents alice and bob (both in the default
// department) and admin carol, served with a test relay.
func composeSetup(t *testing.T) (data string, srv *server, relay *smtptest.Relay) {
	t.Helper()
	data = t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "bob@acme.test", "--name", "Bob Stone", "--role", "agent")
	cli(t, data, "member", "add", "--email", "carol@acme.test", "--name", "Carol", "--role", "admin")
	relay = smtptest.Start(t)
	srv = startServer(t, data, "--relay", relay.URL())
	return data, srv, relay
}

// TestTicketCreateThreadsTheCustomersReply: `ticket create` for a new
// contact mails her the first message, with its attachment, from the
// ticket with a signed Reply-To; her reply to that address (no
// In-Reply-To, no tag: only the token can thread it) goes into the same
// ticket. The department's other member gets a copy, the creator none.
func TestTicketCreateThreadsTheCustomersReply(t *testing.T) {
	data, srv, relay := composeSetup(t)
	label := filepath.Join(t.TempDir(), "label.pdf")
	if err := os.WriteFile(label, []byte("%PDF-1.4 return label"), 0o600); err != nil {
		t.Fatal(err)
	}
	tk := deskTicket(t, data, "ticket", "create", "--as", "alice@acme.test", "--name", "Zoe Smith", "--email", "zoe@customer.test",
		"--phone", "+44 20 7946 0000", "--subject", "Your return", "--message", "Hello Zoe,\nthe label is attached.",
		"--attach", label, "--priority", "high", "--tag", "returns", "--unassigned")
	if tk.Number != 1 || tk.Status != ticket.StatusAnswered || tk.Priority != ticket.PriorityHigh || tk.Assignee != "" {
		t.Errorf("created %+v", tk)
	}
	got := relay.WaitFor(t, "zoe@customer.test", 1)[0]
	if s := got.Header("Subject"); s != "[#1] Your return" {
		t.Errorf("customer's subject %q, want [#1] Your return", s)
	}
	replyTo := got.Header("Reply-To")
	if !strings.Contains(replyTo, "support+") || !strings.Contains(replyTo, "@acme.test") {
		t.Fatalf("Reply-To %q: want the property's address with a token", replyTo)
	}
	env := decoded(t, got)
	if !strings.Contains(env.Text, "the label is attached") || len(env.Attachments) != 1 || env.Attachments[0].FileName != "label.pdf" {
		t.Errorf("customer's mail: text %q, %d attachments", env.Text, len(env.Attachments))
	}
	relay.WaitFor(t, "bob@acme.test", 1)
	settle(t, relay, time.Second, 15*time.Second)
	if s := subjects(relay, "alice@acme.test", ""); len(s) != 0 {
		t.Errorf("the creator got %q, want nothing", s)
	}

	addr := strings.Trim(replyTo[strings.LastIndex(replyTo, "<")+1:], "<> ")
	reply := "From: Zoe Smith <zoe@customer.test>\r\nTo: " + addr + "\r\nSubject: thanks\r\n" +
		"Message-ID: <zoe-reply-1@customer.test>\r\nDate: Sat, 21 Nov 2026 11:00:00 +0000\r\n\r\nGot it, thank you!\r\n"
	c, err := dialSMTP(srv.addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.send("zoe@customer.test", []string{addr}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	var v ticketView
	for deadline := time.Now().Add(10 * time.Second); len(v.Messages) < 2 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		cliJSON(t, data, &v, "ticket", "show", "1")
	}
	if len(v.Messages) != 2 || v.Messages[1].AuthorEmail != "zoe@customer.test" || !strings.Contains(v.Messages[1].Text, "Got it") {
		t.Fatalf("ticket #1 has %d messages, want the first and Zoe's reply: %+v", len(v.Messages), v.Messages)
	}
	if len(v.Participants) != 1 || v.Participants[0].Phone != "+44 20 7946 0000" || v.Participants[0].Name != "Zoe Smith" {
		t.Errorf("participants %+v", v.Participants)
	}
	var list []ticket.Ticket
	cliJSON(t, data, &list, "ticket", "list")
	if len(list) != 1 {
		t.Errorf("%d tickets, want the reply in the one", len(list))
	}
}

// TestTicketCreateNoMail: a phone call recorded with --no-mail mails
// nobody; the message is kept as a note marked as a phone call.
func TestTicketCreateNoMail(t *testing.T) {
	data, srv, relay := composeSetup(t)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	relay.WaitFor(t, "zoe@customer.test", 1) // the acknowledgement
	settle(t, relay, time.Second, 15*time.Second)
	before := relay.Count()
	tk := deskTicket(t, data, "ticket", "create", "--as", "alice@acme.test", "--requester", "zoe@customer.test",
		"--subject", "Phoned about the invoice", "--message", "She wants a copy.", "--no-mail", "--assignee", "bob@acme.test")
	if tk.Status != ticket.StatusOpen || tk.Assignee != "bob@acme.test" {
		t.Errorf("phone call ticket: %s, assigned to %q", tk.Status, tk.Assignee)
	}
	settle(t, relay, time.Second, 15*time.Second)
	if n := relay.Count(); n != before {
		t.Errorf("--no-mail: %d mails went out", n-before)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "2")
	if len(v.Messages) != 1 || v.Messages[0].Kind != ticket.KindNote || !strings.Contains(v.Messages[0].Thread, "phone call") {
		t.Errorf("phone call message: %+v", v.Messages)
	}
	if _, err := cliErr(data, "ticket", "create", "--as", "alice@acme.test", "--requester", "nobody@customer.test",
		"--subject", "S", "--message", "M"); err == nil || !strings.Contains(err.Error(), "not a contact") {
		t.Errorf("an unknown --requester: %v, want refused", err)
	}
}

// TestReplyTemplateNoteMentionTopic: a saved reply with placeholders is
// rendered into the customer's mail; a note with @bob tells bob only;
// topics are added by admins only and set on a ticket.
func TestReplyTemplateNoteMentionTopic(t *testing.T) {
	data, srv, relay := composeSetup(t)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	relay.WaitFor(t, "zoe@customer.test", 1)

	if _, err := cliErr(data, "reply-template", "add", "bad", "--as", "bob@acme.test", "--text", "Hi {{customer.age}}"); err == nil ||
		!strings.Contains(err.Error(), "unknown placeholder") {
		t.Errorf("a template with an unknown placeholder: %v", err)
	}
	cli(t, data, "reply-template", "add", "thanks", "--as", "bob@acme.test",
		"--text", "Hello {{customer.first_name}},\nticket {{ticket.number}} ({{ticket.subject}}) is fixed.\n{{agent.name}}")
	if out := cli(t, data, "reply-template", "list"); !strings.Contains(out, "thanks") {
		t.Errorf("reply-template list:\n%s", out)
	}
	cli(t, data, "ticket", "reply", "1", "--as", "bob@acme.test", "--template", "thanks")
	got := relay.WaitFor(t, "zoe@customer.test", 2)[1]
	if text := strings.ReplaceAll(decoded(t, got).Text, "\r\n", "\n"); !strings.Contains(text, "Hello Zoe,\nticket 1 (Invoice is wrong) is fixed.\nBob Stone") {
		t.Errorf("templated reply:\n%s", text)
	}
	if s := got.Header("Subject"); s != "Re: [#1] Invoice is wrong" {
		t.Errorf("reply subject %q", s)
	}
	settle(t, relay, time.Second, 15*time.Second)
	bobBefore, carolBefore := len(relay.To("bob@acme.test")), len(relay.To("carol@acme.test"))
	cli(t, data, "ticket", "note", "1", "--as", "alice@acme.test", "--message", "@bob can you call her? (@alice is me)")
	relay.WaitFor(t, "bob@acme.test", bobBefore+1)
	settle(t, relay, time.Second, 15*time.Second)
	var mentions []string
	for _, rcpt := range []string{"alice@acme.test", "bob@acme.test", "carol@acme.test", "zoe@customer.test"} {
		for _, s := range subjects(relay, rcpt, "") {
			if strings.HasPrefix(s, "Mentioned:") {
				mentions = append(mentions, rcpt+": "+s)
			}
		}
	}
	if want := []string{"bob@acme.test: Mentioned: [#1] Invoice is wrong"}; !slices.Equal(mentions, want) {
		t.Errorf("mention notices %q, want %q", mentions, want)
	}
	if n := len(relay.To("carol@acme.test")); n != carolBefore {
		t.Errorf("carol got %d mails for a note that does not mention her", n-carolBefore)
	}
	if len(relay.To("zoe@customer.test")) != 2 {
		t.Errorf("the customer got the note")
	}

	if _, err := cliErr(data, "topic", "add", "Billing", "--as", "alice@acme.test"); err == nil || !strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent adds a topic: %v, want refused", err)
	}
	cli(t, data, "topic", "add", "Billing", "--as", "carol@acme.test")
	if tk := deskTicket(t, data, "ticket", "topic", "1", "billing", "--as", "alice@acme.test"); tk.Topic != "billing" {
		t.Errorf("topic %q, want billing", tk.Topic)
	}
	if tk := deskTicket(t, data, "ticket", "topic", "1", "--none", "--as", "alice@acme.test"); tk.Topic != "" {
		t.Errorf("topic %q after --none", tk.Topic)
	}
}

// TestEveryCommandHelp: every command's -h shows its usage line and its
// own flags, never serve's settings (only serve's -h does); `postdesk
// GROUP` and `postdesk GROUP -h` list the group's commands, each with a
// description.
func TestEveryCommandHelp(t *testing.T) {
	serveOnly := []string{"\n  -smtp-addr", "\n  -relay", "\n  -dkim-key"}
	groups := map[string]bool{}
	for name := range commands() {
		if g, _, ok := strings.Cut(name, " "); ok {
			groups[g] = true
		}
		out := helpOutput(t, append(strings.Fields(name), "-h")...)
		if !strings.Contains(out, "Usage: postdesk "+name) && name != "serve" {
			t.Errorf("%s -h lacks its usage line:\n%s", name, out)
		}
		for _, s := range serveOnly {
			if strings.Contains(out, s) != (name == "serve") {
				t.Errorf("%s -h: %q shown = %v, want %v", name, strings.TrimSpace(s), !(name == "serve"), name == "serve")
			}
		}
		if name != "serve" && !strings.Contains(out, "\n  -data") {
			t.Errorf("%s -h does not show --data", name)
		}
	}
	h := helps()
	for g := range groups {
		for _, args := range [][]string{{g}, {g, "-h"}} {
			out := helpOutput(t, args...)
			for name := range commands() {
				if sub, ok := strings.CutPrefix(name, g+" "); ok && h[name].summary != "" &&
					!strings.Contains(out, "  "+sub+" ") {
					t.Errorf("postdesk %s does not list %s:\n%s", strings.Join(args, " "), sub, out)
				}
			}
		}
	}
	for name := range commands() {
		if h[name].summary == "" {
			t.Errorf("command %q has no description in helps()", name)
		}
	}
}

// helpOutput runs the binary with args and returns what it printed; a
// help request exits with status 2, as flag.ErrHelp.
func helpOutput(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("postdesk %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	return out.String()
}

// TestMailNoteMentionsAndTopic: an agent's #note by mail tells the member
// it @mentions, and #topic sets the ticket's topic; an unknown topic fails
// the commands (the mail is kept as a note), not the delivery.
func TestMailNoteMentionsAndTopic(t *testing.T) {
	data, srv, relay := composeSetup(t)
	cli(t, data, "topic", "add", "billing", "--as", "carol@acme.test")
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	rcpt, note := replyFrom(t, copy1, "Alice <alice@acme.test>", "#note\n#topic Billing\n\n@Bob, she was charged twice.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(note))
	notice := mailsWith(relay, "bob@acme.test", "Mentioned:")
	for deadline := time.Now().Add(15 * time.Second); len(notice) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		notice = mailsWith(relay, "bob@acme.test", "Mentioned:")
	}
	if len(notice) != 1 || !strings.Contains(decoded(t, notice[0]).Text, "charged twice") {
		t.Fatalf("bob's mention notices: %d", len(notice))
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if v.Ticket.Topic != "billing" {
		t.Errorf("topic %q after #topic Billing", v.Ticket.Topic)
	}
	rcpt, bad := replyFrom(t, copy1, "Alice <alice@acme.test>", "#topic weather\n\nAnything.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(bad))
	failed := mailsWith(relay, "alice@acme.test", "Not sent")
	for deadline := time.Now().Add(15 * time.Second); len(failed) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		failed = mailsWith(relay, "alice@acme.test", "Not sent")
	}
	if len(failed) != 1 || !strings.Contains(decoded(t, failed[0]).Text, "no topic") {
		t.Errorf("an unknown #topic: %d 'Not sent' notices", len(failed))
	}
}
