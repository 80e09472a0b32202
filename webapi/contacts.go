package webapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// contactRoutes are a property's contacts, addressed by their email
// address (`contact show|edit|note|merge|field` on the command line, the
// same desk operations). The store has no search of contacts; a ticket
// search finds them by what they wrote.
func (s *Server) contactRoutes() []route {
	const p = "/api/properties/{prop}/contacts/{email}"
	return []route{
		{Route: Route{Method: "GET", Path: p, Summary: "A contact, their custom fields, aliases and timeline (their tickets, mail and the notes on them), newest first; a merged address answers its contact, naming merged_from",
			Query: []Param{
				{Name: "limit", Type: "integer", Doc: "timeline entries per page (1 to 500, default 50)"},
				{Name: "cursor", Type: "string", Doc: "the timeline page after this one: timeline.next of the page before"}},
			Response: contactView{}}, access: member, h: s.getContact},
		{Route: Route{Method: "PATCH", Path: p, Summary: "Change a contact's name or phone (an empty value clears it); a note records the change",
			Request: contactPatch{}, Response: ticket.Contact{}}, access: member, h: s.patchContact},
		{Route: Route{Method: "POST", Path: p + "/notes", Summary: "Write a note on a contact, shown in their timeline",
			Request: contactNote{}, Response: ticket.Contact{}}, access: member, h: s.noteContact},
		{Route: Route{Method: "POST", Path: p + "/merge", Summary: "Merge this contact into another (the same person): their tickets, mail and notes move, and this address becomes an alias",
			Request: contactMerge{}, Response: ticket.Contact{}}, access: member, h: s.mergeContact},
		{Route: Route{Method: "PUT", Path: p + "/fields/{name}", Summary: "Set a contact's custom field (an empty value clears it)",
			Request: contactFieldValue{}, Response: ticket.Contact{}}, access: member, h: s.setContactField},
	}
}

// contactView is a contact as GET .../contacts/{email} answers it, as
// `contact show --json` prints it, with its timeline a page.
type contactView struct {
	Contact ticket.Contact `json:"contact"`
	// MergedFrom is the address asked for when it is an alias of Contact.
	MergedFrom string                    `json:"merged_from,omitempty"`
	Aliases    []string                  `json:"aliases"`
	Timeline   Page[store.TimelineEntry] `json:"timeline"`
}

func (s *Server) getContact(c *call) error {
	limit, err := c.limit()
	if err != nil {
		return err
	}
	pg, err := s.st.ContactPage(c.r.Context(), c.prop.ID, c.r.PathValue("email"), c.r.URL.Query().Get("cursor"), limit)
	if errors.Is(err, store.ErrBadCursor) {
		return badRequest("%v", err)
	}
	if err != nil {
		return err
	}
	v := contactView{Contact: pg.Contact, MergedFrom: pg.MergedFrom, Aliases: nonNil(pg.Aliases)}
	v.Timeline.Items, v.Timeline.Next = nonNil(pg.Timeline), pg.Next
	return c.ok(v)
}

// contactPatch changes a contact; absent fields stay as they are, an empty
// one is cleared.
type contactPatch struct {
	Name  *string `json:"name,omitempty"`
	Phone *string `json:"phone,omitempty"` // digits, spaces and + - ( ) .
}

func (s *Server) patchContact(c *call) error {
	var in contactPatch
	if err := c.readJSON(&in); err != nil {
		return err
	}
	if in.Name == nil && in.Phone == nil {
		return invalidInput("nothing to change: give name or phone (an empty value clears it)")
	}
	ct, err := s.desk.EditContact(c.r.Context(), c.prop, c.actor(), c.r.PathValue("email"), desk.ContactEdit{Name: in.Name, Phone: in.Phone})
	if err != nil {
		return err
	}
	return c.ok(ct)
}

// contactNote is a note on a contact.
type contactNote struct {
	Text string `json:"text"`
}

func (s *Server) noteContact(c *call) error {
	var in contactNote
	if err := c.readJSON(&in); err != nil {
		return err
	}
	email := c.r.PathValue("email")
	if err := s.desk.NoteContact(c.r.Context(), c.prop, c.actor(), email, in.Text); err != nil {
		return err
	}
	ct, err := s.st.ContactByEmail(c.r.Context(), c.prop.ID, email)
	if err != nil {
		return err
	}
	return c.writeJSON(http.StatusCreated, ct)
}

// contactMerge names the contact to merge into.
type contactMerge struct {
	Into string `json:"into"` // the other contact's address
}

func (s *Server) mergeContact(c *call) error {
	var in contactMerge
	if err := c.readJSON(&in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Into) == "" {
		return invalidInput("give into: the address of the contact to merge into")
	}
	ct, err := s.desk.MergeContacts(c.r.Context(), c.prop, c.actor(), c.r.PathValue("email"), in.Into)
	if err != nil {
		return err
	}
	return c.ok(ct)
}

// contactFieldValue is the value of a custom field; empty clears it.
type contactFieldValue struct {
	Value string `json:"value"`
}

func (s *Server) setContactField(c *call) error {
	var in contactFieldValue
	if err := c.readJSON(&in); err != nil {
		return err
	}
	ct, err := s.desk.SetContactField(c.r.Context(), c.prop, c.actor(), c.r.PathValue("email"), c.r.PathValue("name"), in.Value)
	if err != nil {
		return err
	}
	return c.ok(ct)
}
