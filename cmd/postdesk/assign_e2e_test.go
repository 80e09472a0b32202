package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// firstMail is a new customer's first mail.
func firstMail(from, subject string) string {
	return fmt.Sprintf("From: %s\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <%s-%d@customer.test>\r\n"+
		"Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nPlease help with %s.\r\n", from, subject,
		strings.ReplaceAll(subject, " ", "-"), clientSeq.Add(1), subject)
}

// acmeTicket returns ticket n of acme as `ticket show` prints it.
func acmeTicket(t *testing.T, data string, n int) ticketView {
	t.Helper()
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", fmt.Sprint(n))
	return v
}

// withAdmin is setupAcme plus the named agents and an admin, boss, who
// takes no tickets herself.
func withAdmin(t *testing.T, data string, agents ...string) {
	t.Helper()
	setupAcme(t, data)
	for _, a := range agents {
		cli(t, data, "member", "add", "--email", a+"@acme.test", "--name", a, "--role", "agent")
	}
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	cli(t, data, "member", "set", "boss@acme.test", "--available=false", "--as", "boss@acme.test")
}

// TestRoundRobinAcrossRestart: four agents, bob unavailable, cat with a
// capacity of one open ticket: new tickets go to alice, cat, dan, alice,
// then (cat full) dan, alice after serve restarts. Each copy goes to the
// assignee alone, not the department.
func TestRoundRobinAcrossRestart(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data, "bob", "cat", "dan")
	if _, err := cliErr(data, "member", "set", "cat@acme.test", "--capacity", "1", "--as", "alice@acme.test"); err == nil ||
		!strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent sets a capacity: %v, want refused (only admins)", err)
	}
	cli(t, data, "member", "set", "bob@acme.test", "--available=false", "--as", "boss@acme.test")
	cli(t, data, "member", "set", "cat@acme.test", "--capacity", "1", "--as", "boss@acme.test")
	var members []ticket.Member
	cliJSON(t, data, &members, "member", "list")
	for _, m := range members {
		if (m.Email == "bob@acme.test" && m.Available) || (m.Email == "cat@acme.test" && m.Capacity != 1) {
			t.Errorf("member list: %+v", m)
		}
	}
	if out := cli(t, data, "member", "list"); !strings.Contains(out, "AVAILABLE") || !strings.Contains(out, "CAPACITY") {
		t.Errorf("member list shows no availability or capacity:\n%s", out)
	}
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	for i := 1; i <= 4; i++ {
		c := fmt.Sprintf("c%d@customer.test", i)
		mustSend(t, srv.addr, c, []string{"support@acme.test"}, firstMail(c, fmt.Sprintf("order %d", i)))
	}
	srv.stop(t)
	srv = startServer(t, data, "--relay", relay.URL())
	for i := 5; i <= 6; i++ {
		c := fmt.Sprintf("c%d@customer.test", i)
		mustSend(t, srv.addr, c, []string{"support@acme.test"}, firstMail(c, fmt.Sprintf("order %d", i)))
	}
	want := []string{"alice", "cat", "dan", "alice", "dan", "alice"}
	for i, w := range want {
		v := acmeTicket(t, data, i+1)
		if v.Ticket.Assignee != w+"@acme.test" {
			t.Errorf("#%d assigned to %q, want %s", i+1, v.Ticket.Assignee, w)
		}
		found := false
		for _, ev := range v.Events {
			found = found || ev.Detail == "assigned to "+w+"@acme.test by round-robin"
		}
		if !found {
			t.Errorf("#%d: no round-robin event for %s: %+v", i+1, w, v.Events)
		}
	}
	copies := map[string]int{"alice": 3, "cat": 1, "dan": 2}
	for who, n := range copies {
		for _, m := range relay.WaitFor(t, who+"@acme.test", n) {
			if !strings.Contains(m.Header("Subject"), "order") {
				t.Errorf("%s got %q", who, m.Header("Subject"))
			}
		}
	}
	relay.WaitFor(t, "c6@customer.test", 1) // the last acknowledgement: every earlier mail is out too
	time.Sleep(300 * time.Millisecond)
	for who, n := range map[string]int{"alice": 3, "cat": 1, "dan": 2, "bob": 0, "boss": 0} {
		if got := len(relay.To(who + "@acme.test")); got != n {
			t.Errorf("%s received %d mails, want %d (copies of her tickets only)", who, got, n)
		}
	}
}

// TestAssignOnAnswer: an unassigned ticket answered by an agent becomes
// hers; with the setting off (an admin's change) it stays unassigned.
func TestAssignOnAnswer(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data, "bob")
	for _, m := range []string{"alice", "bob"} {
		cli(t, data, "member", "set", m+"@acme.test", "--available=false", "--as", "boss@acme.test")
	}
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, firstMail("zoe@customer.test", "first"))
	copyToAlice := relay.WaitFor(t, "alice@acme.test", 1)[0]
	rcpt, raw := replyFrom(t, copyToAlice, "Alice <alice@acme.test>", "We are on it.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(raw))
	v := acmeTicket(t, data, 1)
	if v.Ticket.Assignee != "alice@acme.test" || v.Ticket.Status != ticket.StatusAnswered {
		t.Errorf("#1 after alice's answer: %s, %q; want answered, alice's", v.Ticket.Status, v.Ticket.Assignee)
	}
	if ev := strings.Join(eventDetails(v), "\n"); !strings.Contains(ev, "assigned to alice@acme.test on answering") {
		t.Errorf("#1's log lacks the assignment on answering:\n%s", ev)
	}

	if _, err := cliErr(data, "property", "set", "--assign-on-answer=false", "--as", "bob@acme.test"); err == nil ||
		!strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent changes the setting: %v, want refused", err)
	}
	cli(t, data, "property", "set", "--assign-on-answer=false", "--as", "boss@acme.test")
	time.Sleep(2100 * time.Millisecond) // serve's property cache (store.cacheTTL) expires
	mustSend(t, srv.addr, "yan@customer.test", []string{"support@acme.test"}, firstMail("yan@customer.test", "second"))
	copyToBob := relay.WaitFor(t, "bob@acme.test", 2)[1]
	rcpt, raw = replyFrom(t, copyToBob, "Bob <bob@acme.test>", "Looking.")
	mustSend(t, srv.addr, "bob@acme.test", []string{rcpt}, string(raw))
	if v = acmeTicket(t, data, 2); v.Ticket.Assignee != "" || v.Ticket.Status != ticket.StatusAnswered {
		t.Errorf("#2 with assign-on-answer off: %s, %q; want answered, unassigned", v.Ticket.Status, v.Ticket.Assignee)
	}
}

// waitMail waits for a mail to rcpt whose subject contains subject.
func waitMail(t *testing.T, relay *smtptest.Relay, rcpt, subject string) smtptest.Mail {
	t.Helper()
	var got smtptest.Mail
	waitFor(t, func() bool {
		for _, m := range relay.To(rcpt) {
			if strings.Contains(m.Header("Subject"), subject) {
				got = m
				return true
			}
		}
		return false
	}, rcpt+"'s mail "+subject)
	return got
}

// awayFromRoundRobin marks members unavailable (a property without an
// admin: no --as), so that new tickets stay with their department.
func awayFromRoundRobin(t *testing.T, data string, members ...string) {
	t.Helper()
	for _, m := range members {
		cli(t, data, "member", "set", m, "--available=false")
	}
}

func eventDetails(v ticketView) []string {
	var out []string
	for _, ev := range v.Events {
		out = append(out, ev.Kind+" by "+ev.Actor+": "+ev.Detail)
	}
	return out
}

// TestDeleteIsForAdmins: an agent cannot delete (a clear error); an admin
// can; the deleted ticket leaves the default list and is kept; the
// customer's reply to it opens a new ticket linked to it; an admin
// undeletes it.
func TestDeleteIsForAdmins(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	ack := relay.WaitFor(t, "zoe@customer.test", 1)[0]

	_, err := cliErr(data, "ticket", "delete", "1", "--as", "alice@acme.test")
	if err == nil || !strings.Contains(err.Error(), "only admins may delete a ticket; close it as resolved or cancelled instead") {
		t.Errorf("an agent deletes: %v, want the admins-only refusal", err)
	}
	if tk := deskTicket(t, data, "ticket", "delete", "1", "--as", "boss@acme.test"); tk.Status != ticket.StatusDeleted {
		t.Errorf("after the admin's delete: %s", tk.Status)
	}
	var list []ticket.Ticket
	if cliJSON(t, data, &list, "ticket", "list"); len(list) != 0 {
		t.Errorf("the default list shows %d tickets, want the deleted one hidden", len(list))
	}
	if cliJSON(t, data, &list, "ticket", "list", "--status", "deleted"); len(list) != 1 {
		t.Errorf("--status deleted lists %d tickets, want 1", len(list))
	}

	rcpt, raw := replyFrom(t, ack, "Zoe <zoe@customer.test>", "Still wrong.")
	mustSend(t, srv.addr, "zoe@customer.test", []string{rcpt}, string(raw))
	first, second := acmeTicket(t, data, 1), acmeTicket(t, data, 2)
	if second.Ticket.LinkedID != first.Ticket.ID || second.Ticket.Status != ticket.StatusOpen || len(first.Messages) != 1 {
		t.Errorf("the reply to deleted #1: #2 linked to %d (want %d), %s; #1 has %d messages (want 1)",
			second.Ticket.LinkedID, first.Ticket.ID, second.Ticket.Status, len(first.Messages))
	}
	if _, err := cliErr(data, "ticket", "undelete", "1", "--as", "alice@acme.test"); err == nil || !strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent undeletes: %v, want refused", err)
	}
	if tk := deskTicket(t, data, "ticket", "undelete", "1", "--as", "boss@acme.test"); tk.Status != ticket.StatusOpen {
		t.Errorf("after undelete: %s, want open", tk.Status)
	}
}

// TestSpamSenderGoesToSpam: marking a ticket spam marks its sender; her
// later mail opens a ticket in Spam, stored, with no acknowledgement and
// nothing sent to the team; unmarking lets her through again. An agent's
// #spam reply marks a ticket and sends the customer nothing.
func TestSpamSenderGoesToSpam(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	const spammer = "deals@spam.test"
	mustSend(t, srv.addr, spammer, []string{"support@acme.test"}, firstMail(spammer, "cheap pills"))
	relay.WaitFor(t, spammer, 1)
	relay.WaitFor(t, "alice@acme.test", 1)
	if tk := deskTicket(t, data, "ticket", "spam", "1", "--as", "alice@acme.test"); tk.Status != ticket.StatusSpam {
		t.Errorf("after ticket spam: %s", tk.Status)
	}
	mustSend(t, srv.addr, spammer, []string{"support@acme.test"}, firstMail(spammer, "more pills"))
	v := acmeTicket(t, data, 2)
	if v.Ticket.Status != ticket.StatusSpam || v.Ticket.Assignee != "" || len(v.Messages) != 1 {
		t.Errorf("the spam sender's next mail: #2 %s, assigned %q, %d messages; want spam, unassigned, stored",
			v.Ticket.Status, v.Ticket.Assignee, len(v.Messages))
	}
	var list []ticket.Ticket
	if cliJSON(t, data, &list, "ticket", "list"); len(list) != 0 {
		t.Errorf("the default list shows %d tickets, want spam hidden", len(list))
	}
	cli(t, data, "ticket", "spam", "1", "--undo", "--as", "alice@acme.test")
	mustSend(t, srv.addr, spammer, []string{"support@acme.test"}, firstMail(spammer, "a real question"))
	if v = acmeTicket(t, data, 3); v.Ticket.Status != ticket.StatusOpen {
		t.Errorf("after unmarking, her mail opened #3 %s, want open", v.Ticket.Status)
	}
	relay.WaitFor(t, spammer, 2)                         // #3's acknowledgement
	copyOf3 := relay.WaitFor(t, "alice@acme.test", 2)[1] // #3's copy
	if n := len(relay.To(spammer)); n != 2 {
		t.Errorf("the sender received %d mails, want the acknowledgements of #1 and #3 only", n)
	}
	if n := len(relay.To("alice@acme.test")); n != 2 {
		t.Errorf("alice received %d mails, want the copies of #1 and #3 only", n)
	}

	rcpt, raw := replyFrom(t, copyOf3, "Alice <alice@acme.test>", "#spam\n\nJunk after all.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(raw))
	if v = acmeTicket(t, data, 3); v.Ticket.Status != ticket.StatusSpam {
		t.Errorf("after alice's #spam: #3 %s, want spam", v.Ticket.Status)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(relay.To(spammer)); n != 2 {
		t.Errorf("the #spam reply reached the customer (%d mails)", n)
	}
}

// TestTeamIsManagedByAdmins: members and departments are added by anyone
// while the property has no admin, then only by an admin (--as). Tickets
// are given to a department (its members told) or to nobody.
func TestTeamIsManagedByAdmins(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data, "bob")
	for _, as := range [][]string{nil, {"--as", "alice@acme.test"}} {
		args := append([]string{"member", "add", "--email", "eve@acme.test"}, as...)
		if _, err := cliErr(data, args...); err == nil || !strings.Contains(err.Error(), "admin") {
			t.Errorf("member add %v: %v, want refused", as, err)
		}
	}
	cli(t, data, "member", "add", "--email", "eve@acme.test", "--as", "boss@acme.test")
	if _, err := cliErr(data, "department", "add", "--name", "Sales", "--members", "bob@acme.test"); err == nil {
		t.Errorf("department add without --as was accepted")
	}
	cli(t, data, "department", "add", "--name", "Sales", "--members", "bob@acme.test", "--as", "boss@acme.test")

	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	tk := deskTicket(t, data, "ticket", "assign", "1", "--department", "sales", "--note", "a quote", "--as", "alice@acme.test")
	if tk.Department != "Sales" || tk.Assignee != "" {
		t.Errorf("after assign --department sales: %q, %q", tk.Department, tk.Assignee)
	}
	notice := waitMail(t, relay, "bob@acme.test", "Assigned to Sales")
	if !strings.Contains(notice.Body(), "a quote") {
		t.Errorf("bob's notice for Sales lacks the note:\n%s", notice.Body())
	}
	cli(t, data, "ticket", "assign", "1", "bob@acme.test", "--as", "alice@acme.test")
	if tk = deskTicket(t, data, "ticket", "assign", "1", "--none", "--as", "alice@acme.test"); tk.Assignee != "" || tk.Department != "Sales" {
		t.Errorf("after assign --none: %q in %q", tk.Assignee, tk.Department)
	}
	if _, err := cliErr(data, "ticket", "assign", "1", "--department", "Nowhere", "--as", "alice@acme.test"); err == nil ||
		!strings.Contains(err.Error(), `no department "Nowhere"`) {
		t.Errorf("assign to an unknown department: %v", err)
	}
	// By mail: #2 goes to bob by round-robin; he gives it to Support, whose
	// other members are told; #assign of a department that does not exist
	// is refused before anything is applied.
	mustSend(t, srv.addr, "yan@customer.test", []string{"support@acme.test"}, firstMail("yan@customer.test", "a refund"))
	copyToBob := waitMail(t, relay, "bob@acme.test", "a refund")
	rcpt, raw := replyFrom(t, copyToBob, "Bob <bob@acme.test>", "#assign nowhere\n\nFor you.")
	mustSend(t, srv.addr, "bob@acme.test", []string{rcpt}, string(raw))
	if v := acmeTicket(t, data, 2); v.Ticket.Assignee != "bob@acme.test" {
		t.Errorf("#assign nowhere changed #2: %q", v.Ticket.Assignee)
	}
	rcpt, raw = replyFrom(t, copyToBob, "Bob <bob@acme.test>", "#assign support\n\nFor you.")
	mustSend(t, srv.addr, "bob@acme.test", []string{rcpt}, string(raw))
	if v := acmeTicket(t, data, 2); v.Ticket.Assignee != "" || v.Ticket.Department != "Support" {
		t.Errorf("after #assign support: %q in %q", v.Ticket.Assignee, v.Ticket.Department)
	}
	waitMail(t, relay, "alice@acme.test", "Assigned to Support")
}
