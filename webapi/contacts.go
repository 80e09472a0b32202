package webapi

import (
	"fmt"
	"net/http"
	"strconv"
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
	ctx := c.r.Context()
	var v contactView
	if v.Contact, err = s.st.ContactByEmail(ctx, c.prop.ID, c.r.PathValue("email")); err != nil {
		return err
	}
	if v.Contact.MergedInto != 0 {
		v.MergedFrom = v.Contact.Email
		if v.Contact, err = s.st.ContactByID(ctx, v.Contact.MergedInto); err != nil {
			return err
		}
	}
	if v.Contact.Fields, err = s.st.FieldValues(ctx, c.prop.ID, ticket.FieldForContact, v.Contact.ID); err != nil {
		return err
	}
	if v.Aliases, err = s.st.Aliases(ctx, v.Contact.ID); err != nil {
		return err
	}
	var entries []store.TimelineEntry
	if cur := c.r.URL.Query().Get("cursor"); cur != "" {
		pos, err := parseTimelineCursor(cur)
		if err != nil {
			return err
		}
		entries, err = s.st.TimelineAfter(ctx, v.Contact.ID, pos, limit+1)
		if err != nil {
			return err
		}
	} else if entries, err = s.st.Timeline(ctx, v.Contact.ID, limit+1); err != nil {
		return err
	}
	if len(entries) > limit {
		entries = entries[:limit]
		v.Timeline.Next = timelineCursor(entries[limit-1].Pos)
	}
	v.Aliases, v.Timeline.Items = nonNil(v.Aliases), nonNil(entries)
	return c.ok(v)
}

// timelineCursor is the cursor of the page after pos: "at.rank.seq".
func timelineCursor(pos store.TimelinePos) string {
	return fmt.Sprintf("%d.%d.%d", pos.At, pos.Rank, pos.Seq)
}

// parseTimelineCursor reads a cursor made by timelineCursor.
func parseTimelineCursor(s string) (store.TimelinePos, error) {
	var pos store.TimelinePos
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return pos, badRequest("cursor %q: use the timeline's next as it was given", s)
	}
	var errs [3]error
	pos.At, errs[0] = strconv.ParseInt(parts[0], 10, 64)
	pos.Rank, errs[1] = strconv.Atoi(parts[1])
	pos.Seq, errs[2] = strconv.ParseInt(parts[2], 10, 64)
	for _, err := range errs {
		if err != nil {
			return pos, badRequest("cursor %q: use the timeline's next as it was given", s)
		}
	}
	return pos, nil
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
		return unprocessable("nothing to change: give name or phone (an empty value clears it)")
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
		return unprocessable("give into: the address of the contact to merge into")
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
