package main

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// TestContactTimelineAndMerge: a contact's timeline shows her tickets, mail
// and notes newest first; an edit changes her name and phone, and a note
// records who did it; merging her
// second address into her first moves that address's ticket, and her later
// mail from it is hers: a new ticket has her as requester, and its subject
// tag threads.
func TestContactTimelineAndMerge(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	as := []string{"--as", "alice@acme.test"}
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "First question", "c-1@customer.test", "", "One."))
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Second question", "c-2@customer.test", "", "Two."))
	cli(t, data, append([]string{"contact", "note", "zoe@customer.test", "--message", "Prefers the phone"}, as...)...)
	var c ticket.Contact
	cliJSON(t, data, &c, append([]string{"contact", "edit", "zoe@customer.test", "--name", "Zoe Quinn", "--phone", "+1 555 0100"}, as...)...)
	if c.Name != "Zoe Quinn" || c.Phone != "+1 555 0100" {
		t.Errorf("after edit: %+v", c)
	}
	if _, err := cliErr(data, append([]string{"contact", "edit", "zoe@customer.test", "--phone", "call me"}, as...)...); err == nil {
		t.Error("a phone of words was accepted")
	}
	if _, err := cliErr(data, "contact", "note", "zoe@customer.test", "--message", "x"); err == nil || !strings.Contains(err.Error(), "--as") {
		t.Errorf("a note without --as: %v", err)
	}

	var v contactView
	cliJSON(t, data, &v, "contact", "show", "zoe@customer.test")
	var got []string
	for _, e := range v.Timeline {
		got = append(got, e.Kind+" "+e.Subject+strings.TrimSpace(e.Text))
	}
	want := []string{`note edited: name "Zoe" → "Zoe Quinn", phone "" → "+1 555 0100"`, "note Prefers the phone", "message Second questionTwo.", "ticket Second question", "message First questionOne.", "ticket First question"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	text := cli(t, data, "contact", "show", "zoe@customer.test")
	if !strings.Contains(text, "Zoe Quinn") || !strings.Contains(text, "note     by alice@acme.test: Prefers the phone") {
		t.Errorf("contact show:\n%s", text)
	}

	mustSend(t, srv.addr, "zoe@home.test", []string{"support@acme.test"},
		customerMail("zoe@home.test", "support@acme.test", "From home", "c-3@home.test", "", "Three."))
	cliJSON(t, data, &c, append([]string{"contact", "merge", "zoe@home.test", "zoe@customer.test"}, as...)...)
	if c.Email != "zoe@customer.test" {
		t.Errorf("merge printed %s, want the target", c.Email)
	}
	if _, err := cliErr(data, append([]string{"contact", "merge", "zoe@customer.test", "zoe@home.test"}, as...)...); err == nil {
		t.Error("merging into the merged address was accepted")
	}
	cliJSON(t, data, &v, "contact", "show", "zoe@home.test")
	if v.Contact.Email != "zoe@customer.test" || v.MergedFrom != "zoe@home.test" || strings.Join(v.Aliases, ",") != "zoe@home.test" {
		t.Errorf("contact show of the merged address: %+v (from %q, aliases %v)", v.Contact, v.MergedFrom, v.Aliases)
	}
	if three := showTicket(t, data, 3); three.Ticket.Requester != "zoe@customer.test" {
		t.Errorf("#3's requester is %s, want zoe@customer.test", three.Ticket.Requester)
	}
	// Later mail from the merged address: a new ticket is Zoe's, and the
	// subject tag of a ticket she takes part in threads.
	mustSend(t, srv.addr, "zoe@home.test", []string{"support@acme.test"},
		customerMail("zoe@home.test", "support@acme.test", "Re: [#1] First question", "c-4@home.test", "", "Four."))
	if one := showTicket(t, data, 1); len(one.Messages) != 2 {
		t.Errorf("#1 has %d messages; the tagged mail from the merged address did not thread", len(one.Messages))
	}
	mustSend(t, srv.addr, "zoe@home.test", []string{"support@acme.test"},
		customerMail("zoe@home.test", "support@acme.test", "Another thing", "c-5@home.test", "", "Five."))
	if four := showTicket(t, data, 4); four.Ticket.Requester != "zoe@customer.test" {
		t.Errorf("#4's requester is %s, want zoe@customer.test", four.Ticket.Requester)
	}
	cliJSON(t, data, &v, "contact", "show", "zoe@customer.test")
	if len(v.Timeline) == 0 || v.Timeline[0].Kind != "message" || v.Timeline[0].Ticket != 4 {
		t.Errorf("timeline after the merge starts with %+v, want the mail of #4", v.Timeline[:min(1, len(v.Timeline))])
	}
}

// TestCustomFieldsE2E: an admin defines fields; agents set them, validated
// by type; ticket show and contact show print them; the change is in the
// ticket's log with the old and new value.
func TestCustomFieldsE2E(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "root@acme.test", "--name", "Root", "--role", "admin")
	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Order", "f-1@customer.test", "", "Where is it?"))
	admin := []string{"--as", "root@acme.test"}
	agent := []string{"--as", "alice@acme.test"}
	if _, err := cliErr(data, append([]string{"field", "add", "plan", "--for", "ticket", "--type", "text"}, agent...)...); err == nil ||
		!strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent adds a field: %v, want refused", err)
	}
	cli(t, data, append([]string{"field", "add", "plan", "--for", "ticket", "--type", "choice", "--choice", "Gold", "--choice", "Silver"}, admin...)...)
	cli(t, data, append([]string{"field", "add", "amount", "--for", "ticket", "--type", "number"}, admin...)...)
	cli(t, data, append([]string{"field", "add", "birthday", "--for", "contact", "--type", "date"}, admin...)...)
	var fields []ticket.Field
	cliJSON(t, data, &fields, "field", "list")
	if len(fields) != 3 {
		t.Errorf("field list: %+v", fields)
	}
	tk := deskTicket(t, data, append([]string{"ticket", "field", "1", "plan", "gold"}, agent...)...)
	if tk.Fields["plan"] != "Gold" {
		t.Errorf("after setting plan: %v", tk.Fields)
	}
	deskTicket(t, data, append([]string{"ticket", "field", "1", "amount", "12.50"}, agent...)...)
	for _, bad := range [][]string{{"plan", "Bronze"}, {"amount", "a lot"}, {"colour", "red"}} {
		if _, err := cliErr(data, append([]string{"ticket", "field", "1", bad[0], bad[1]}, agent...)...); err == nil {
			t.Errorf("ticket field %s %q was accepted", bad[0], bad[1])
		}
	}
	if show := cli(t, data, "ticket", "show", "1"); !strings.Contains(show, "Fields: amount=12.5  plan=Gold") {
		t.Errorf("ticket show lacks the fields:\n%s", show)
	}
	v := showTicket(t, data, 1)
	var log []string
	for _, ev := range v.Events {
		log = append(log, ev.Kind+" by "+ev.Actor+": "+ev.Detail)
	}
	if !strings.Contains(strings.Join(log, "\n"), `field by alice@acme.test: plan: "" → "Gold"`) {
		t.Errorf("log lacks the field change:\n%s", strings.Join(log, "\n"))
	}
	if tk = deskTicket(t, data, append([]string{"ticket", "field", "1", "plan", ""}, agent...)...); tk.Fields["plan"] != "" {
		t.Errorf("clearing plan left %v", tk.Fields)
	}
	cli(t, data, append([]string{"contact", "field", "zoe@customer.test", "birthday", "1990-05-01"}, agent...)...)
	if _, err := cliErr(data, append([]string{"contact", "field", "zoe@customer.test", "birthday", "May"}, agent...)...); err == nil {
		t.Error("a birthday of May was accepted")
	}
	if show := cli(t, data, "contact", "show", "zoe@customer.test"); !strings.Contains(show, "Fields: birthday=1990-05-01") {
		t.Errorf("contact show lacks the field:\n%s", show)
	}
}
