package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// fakeTime sets the time of the fake clock file.
func fakeTime(t *testing.T, file string, at time.Time) {
	t.Helper()
	if err := os.WriteFile(file, []byte(at.Format(time.RFC3339)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// noticesTo returns the subjects of the mails rcpt got whose subject
// begins with prefix.
func noticesTo(relay *smtptest.Relay, rcpt, prefix string) []string {
	var out []string
	for _, m := range relay.To(rcpt) {
		if s := m.Header("Subject"); strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// waitNotices waits until rcpt got n mails whose subject begins with
// prefix, then a while longer for any more, and returns them.
func waitNotices(t *testing.T, relay *smtptest.Relay, rcpt, prefix string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(noticesTo(relay, rcpt, prefix)) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // two more scheduler rounds: nothing more may come
	return noticesTo(relay, rcpt, prefix)
}

// TestSLAOnAFakeClock: through the real binary on a fake clock, an admin
// sets a policy, a mail opens a ticket, a priority change recalculates its
// due times, and as the clock passes 80% of the first-response target and
// then its due time the assignee gets exactly one warning and one overdue
// notice, and the ticket is marked overdue with an event.
func TestSLAOnAFakeClock(t *testing.T) {
	data := t.TempDir()
	clock := filepath.Join(t.TempDir(), "now")
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday
	fakeTime(t, clock, start)
	t.Setenv(fakeClockEnv, clock)

	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	set := []string{"sla", "set", "--first-response", "medium=4h,high=1h", "--resolution", "medium=2d", "--resolution", "high=8h"}
	if _, err := cliErr(data, append(set, "--as", "alice@acme.test")...); err == nil || !strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent setting the policy: %v, want refused", err)
	}
	if _, err := cliErr(data, "sla", "set", "--first-response", "high=soon", "--hours", "mon-fri 09:00-17:00", "--as", "boss@acme.test"); err == nil ||
		!strings.Contains(err.Error(), "not a duration") || !strings.Contains(err.Error(), "--time-zone") {
		t.Errorf("a bad policy: %v, want both problems named", err)
	}
	out := cli(t, data, append(set, "--as", "boss@acme.test")...)
	if !strings.Contains(out, "high      1h              8h") || !strings.Contains(out, "Every hour counts") {
		t.Errorf("sla set printed:\n%s", out)
	}
	if show := cli(t, data, "sla", "show"); show != out {
		t.Errorf("sla show:\n%s\nwant what sla set printed:\n%s", show, out)
	}

	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1") // stored before the 250 answer
	if due := v.Ticket.FirstResponseDue; due.Before(start) || due.After(start.Add(4*time.Hour+time.Minute)) {
		t.Fatalf("a medium ticket opened at about 09:00: first response due %s, want about 13:00", due)
	}
	as := []string{"--as", "boss@acme.test"}
	deskTicket(t, data, append([]string{"ticket", "assign", "1", "alice@acme.test"}, as...)...)
	tk := deskTicket(t, data, append([]string{"ticket", "priority", "1", "high"}, as...)...)
	if d := tk.FirstResponseDue.Sub(tk.CreatedAt); d != time.Hour {
		t.Errorf("after the priority change: first response due %s after the start, want 1h", d)
	}
	cliJSON(t, data, &v, "ticket", "show", "1")
	if !hasEvent(v.Events, "sla", "priority medium → high: first response due 2026-11-23T13:") {
		t.Errorf("no event with the old and new due times: %+v", v.Events)
	}

	fakeTime(t, clock, tk.CreatedAt.Add(50*time.Minute)) // past 80% of 1h
	if got := waitNotices(t, relay, "alice@acme.test", "Due soon", 1); len(got) != 1 {
		t.Errorf("at 50m: warnings %q, want one", got)
	}
	if got := noticesTo(relay, "alice@acme.test", "Overdue"); len(got) != 0 {
		t.Errorf("at 50m: overdue notices %q, want none yet", got)
	}
	fakeTime(t, clock, tk.CreatedAt.Add(time.Hour+time.Minute))
	got := waitNotices(t, relay, "alice@acme.test", "Overdue", 1)
	if len(got) != 1 || !strings.Contains(got[0], "Invoice is wrong") {
		t.Errorf("past the due time: overdue notices %q, want one", got)
	}
	if got := noticesTo(relay, "alice@acme.test", "Due soon"); len(got) != 1 {
		t.Errorf("warnings %q, want still one", got)
	}
	if n := len(noticesTo(relay, "boss@acme.test", "Overdue")); n != 0 {
		t.Errorf("boss, who is not the assignee, got %d overdue notices", n)
	}
	cliJSON(t, data, &v, "ticket", "show", "1")
	if v.Ticket.OverdueAt.IsZero() || !hasEvent(v.Events, "overdue", "first response was due") || !hasEvent(v.Events, "sla-warning", "first response due") {
		t.Errorf("ticket after its due time: overdue at %s, events %+v", v.Ticket.OverdueAt, v.Events)
	}
	if show := cli(t, data, "ticket", "show", "1"); !strings.Contains(show, "OVERDUE since") {
		t.Errorf("ticket show does not say it is overdue:\n%s", show)
	}
	if list := cli(t, data, "ticket", "list"); !strings.Contains(list, "open (overdue)") {
		t.Errorf("ticket list does not flag it:\n%s", list)
	}
}

// TestSnoozeWakesOnTheRealClock: a ticket snoozed for 3 seconds is open
// again within a few seconds, with an event, without any mail arriving.
func TestSnoozeWakesOnTheRealClock(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	tk := deskTicket(t, data, "ticket", "snooze", "1", "--for", "3s", "--as", "alice@acme.test")
	if tk.Status != ticket.StatusSnoozed {
		t.Fatalf("after snooze --for 3s: %s", tk.Status)
	}
	var v ticketView
	deadline := time.Now().Add(10 * time.Second)
	for v.Ticket.Status != ticket.StatusOpen && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		v = ticketView{} // a time no longer set is left out of the JSON
		cliJSON(t, data, &v, "ticket", "show", "1")
	}
	if v.Ticket.Status != ticket.StatusOpen || !v.Ticket.SnoozedUntil.IsZero() {
		t.Fatalf("10s after a 3s snooze: %s until %s, want open", v.Ticket.Status, v.Ticket.SnoozedUntil)
	}
	if woke := time.Since(tk.SnoozedUntil); woke > 5*time.Second {
		t.Errorf("woke %s after its time", woke)
	}
	if !hasEvent(v.Events, "status", "snoozed → open: woken: snoozed until") {
		t.Errorf("no wake event: %+v", v.Events)
	}
	for _, ev := range v.Events {
		if ev.Kind == "status" && strings.Contains(ev.Detail, "woken") && ev.Actor != "postdesk (scheduler)" {
			t.Errorf("woken by %q, want the scheduler", ev.Actor)
		}
	}
	if len(v.Messages) != 1 {
		t.Errorf("%d messages, want the one mail", len(v.Messages))
	}
}

// TestSnoozeCommandTakesADate: an agent's "#snooze 2026-12-01" by mail
// snoozes the ticket until that date (midnight UTC), a date that has
// passed is refused without failing the mail, and on the fake clock the
// scheduler wakes the ticket when the date comes.
func TestSnoozeCommandTakesADate(t *testing.T) {
	data := t.TempDir()
	clock := filepath.Join(t.TempDir(), "now")
	fakeTime(t, clock, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	t.Setenv(fakeClockEnv, clock)
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]

	rcpt, past := replyFrom(t, copy1, "Alice <alice@acme.test>", "#snooze 2026-01-01\n\nLater.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(past))
	if got := waitNotices(t, relay, "alice@acme.test", "Not sent", 1); len(got) != 1 {
		t.Errorf("a #snooze date that has passed: notices %q, want one 'Not sent'", got)
	}
	for _, m := range relay.To("alice@acme.test") {
		if strings.HasPrefix(m.Header("Subject"), "Not sent") && !strings.Contains(m.Body(), "that time has passed") {
			t.Errorf("the notice does not say the date has passed:\n%s", m.Body())
		}
	}
	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>", "#snooze 2026-12-01\n\nWe will look again in December.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC); v.Ticket.Status != ticket.StatusSnoozed || !v.Ticket.SnoozedUntil.Equal(want) {
		t.Fatalf("after #snooze 2026-12-01: %s until %s, want snoozed until %s", v.Ticket.Status, v.Ticket.SnoozedUntil, want)
	}
	fakeTime(t, clock, time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC))
	time.Sleep(2 * time.Second)
	if cliJSON(t, data, &v, "ticket", "show", "1"); v.Ticket.Status != ticket.StatusSnoozed {
		t.Fatalf("a minute before its date: %s", v.Ticket.Status)
	}
	fakeTime(t, clock, time.Date(2026, 12, 1, 0, 0, 1, 0, time.UTC))
	deadline := time.Now().Add(10 * time.Second)
	for v.Ticket.Status != ticket.StatusOpen && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		cliJSON(t, data, &v, "ticket", "show", "1")
	}
	if v.Ticket.Status != ticket.StatusOpen || !hasEvent(v.Events, "status", "snoozed → open: woken: snoozed until 2026-12-01T00:00:00Z") {
		t.Errorf("on its date: %s, events %+v", v.Ticket.Status, v.Events)
	}
}
