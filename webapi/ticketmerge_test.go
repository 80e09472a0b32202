package webapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// TestTicketMergeSplitSpam: merge answers the ticket merged into, split
// answers the new ticket with 201 and its Location, spam marks and
// unmarks; each as the desk's operation (a refusal keeps its reason).
func TestTicketMergeSplitSpam(t *testing.T) {
	f := newAPIFixture(t)
	one := f.create("zoe@customer.test", "printer on fire", nil)
	two := f.create("zoe@customer.test", "printer still on fire", nil)
	f.json("Bob", "POST", ticketURL("acme", one.Number)+"/notes", map[string]any{"text": "about the toner, really"}, http.StatusCreated, nil)

	var into ticket.Ticket
	resp := f.json("Bob", "POST", ticketURL("acme", one.Number)+"/merge", map[string]any{"into": two.Number}, http.StatusOK, &into)
	if into.Number != two.Number || resp.Header.Get("Content-Location") != ticketURL("acme", two.Number) {
		t.Errorf("merge answered #%d at %q", into.Number, resp.Header.Get("Content-Location"))
	}
	if v, _ := f.show(one.Number); v.Ticket.MergedInto != two.ID || v.MergedInto == nil {
		t.Errorf("merged ticket: %+v", v.Ticket)
	}
	var p Problem
	f.json("Bob", "POST", ticketURL("acme", one.Number)+"/merge", map[string]any{"into": two.Number}, http.StatusUnprocessableEntity, &p)
	f.json("Bob", "POST", ticketURL("acme", two.Number)+"/merge", map[string]any{"into": 99}, http.StatusUnprocessableEntity, &p)
	if !strings.Contains(p.Detail, "#99") {
		t.Errorf("merge into a ticket that does not exist: %q", p.Detail)
	}

	v, _ := f.show(two.Number)
	var note ticket.Message
	for _, m := range v.Messages {
		if strings.Contains(m.Text, "toner") {
			note = m
		}
	}
	var split ticket.Ticket
	resp = f.json("Bob", "POST", ticketURL("acme", two.Number)+"/split", map[string]any{"message_id": note.ID}, http.StatusCreated, &split)
	if split.Number != 3 || resp.Header.Get("Location") != ticketURL("acme", 3) {
		t.Errorf("split answered #%d at %q", split.Number, resp.Header.Get("Location"))
	}
	if nv, _ := f.show(split.Number); len(nv.Messages) != 1 || nv.Messages[0].ID != note.ID {
		t.Errorf("the new ticket holds %+v", nv.Messages)
	}

	var got ticket.Ticket
	f.json("Cat", "POST", ticketURL("acme", split.Number)+"/spam", nil, http.StatusOK, &got)
	if got.Status != ticket.StatusSpam {
		t.Errorf("marked: %s", got.Status)
	}
	f.json("Cat", "DELETE", ticketURL("acme", split.Number)+"/spam", nil, http.StatusOK, &got)
	if got.Status == ticket.StatusSpam {
		t.Errorf("unmarked: %s", got.Status)
	}
}

// TestTicketReplyTemplate: a reply with a saved reply's name sends it with
// its placeholders filled in; text and template together are refused.
func TestTicketReplyTemplate(t *testing.T) {
	f := newAPIFixture(t)
	tk := f.create("zoe@customer.test", "printer on fire", map[string]any{"no_mail": false, "name": "Zoe Smith"})
	bob, _, err := f.st.CachedMember(t.Context(), f.prop, "bob@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	err = f.desk.Run(t.Context(), f.prop, desk.AsMember(bob), func(o *desk.Op) error {
		_, err := o.AddReplyTemplate("thanks", "Thank you {{customer.first_name}}!")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var m ticket.Message
	f.json("Bob", "POST", ticketURL("acme", tk.Number)+"/replies", map[string]any{"template": "thanks"}, http.StatusCreated, &m)
	if m.Text != "Thank you Zoe!" || m.Kind != ticket.KindEmail {
		t.Errorf("reply by template: %q", m.Text)
	}
	f.json("Bob", "POST", ticketURL("acme", tk.Number)+"/replies", map[string]any{"template": "thanks", "text": "hi"},
		http.StatusUnprocessableEntity, nil)
	f.json("Bob", "POST", ticketURL("acme", tk.Number)+"/replies", map[string]any{"template": "nosuch"}, http.StatusNotFound, nil)
}
