package web

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// The contact page: a contact, their custom fields, name and phone, notes
// on them and their timeline (tickets, mail and notes, newest first,
// paged), with the changes `contact edit|note|merge|field` makes, through
// the same desk operations.

const timelinePage = 50

func (s *Server) contactRoutes() {
	const p = "/p/{prop}/contacts/{email}"
	s.handle("GET "+p, s.contactPage)
	s.handle("POST "+p+"/edit", s.contactEdit)
	s.handle("POST "+p+"/note", s.contactNote)
	s.handle("POST "+p+"/merge", s.contactMerge)
	s.handle("POST "+p+"/field", s.contactField)
}

// contactPage is the data of the contact page.
type contactPage struct {
	store.ContactView
	CSRF   string // the session's form token
	Admin  bool
	Prop   ticket.Property
	Fields []contactField // the property's contact fields with this contact's values
	Cursor string         // the page shown ("" for the newest)
}

// contactField is one custom field of contacts and its value.
type contactField struct {
	ticket.Field
	Value string
}

// PageTitle names the contact page.
func (p contactPage) PageTitle() string {
	if p.Contact.Name != "" {
		return p.Contact.Name
	}
	return p.Contact.Email
}

func (s *Server) contactPage(c *call) error {
	ctx := c.r.Context()
	cursor := c.r.URL.Query().Get("cursor")
	v, err := s.st.ContactPage(ctx, c.prop.ID, c.r.PathValue("email"), cursor, timelinePage)
	if errors.Is(err, store.ErrBadCursor) {
		return badForm("%v", err)
	}
	if err != nil {
		return err
	}
	defs, err := s.st.Fields(ctx, c.prop.ID)
	if err != nil {
		return err
	}
	p := contactPage{ContactView: v, CSRF: c.sess.CSRF, Admin: c.isAdmin(), Prop: c.prop, Cursor: cursor}
	for _, f := range defs {
		if f.For == ticket.FieldForContact {
			p.Fields = append(p.Fields, contactField{Field: f, Value: v.Contact.Fields[f.Name]})
		}
	}
	sort.SliceStable(p.Fields, func(i, j int) bool { return p.Fields[i].Name < p.Fields[j].Name })
	return c.render(http.StatusOK, "contact", p)
}

// contactURL is the contact page of an address.
func contactURL(prop, email string) string {
	return "/p/" + prop + "/contacts/" + url.PathEscape(email)
}

// back sends the browser to the contact page after a change.
func (c *call) backToContact(email string) {
	c.seeOther(contactURL(c.prop.Slug, email))
}

func (s *Server) contactEdit(c *call) error {
	email := c.r.PathValue("email")
	name, phone := c.r.PostFormValue("name"), c.r.PostFormValue("phone")
	if _, err := s.desk.EditContact(c.r.Context(), c.prop, c.actor(), email, desk.ContactEdit{Name: &name, Phone: &phone}); err != nil {
		return err
	}
	c.backToContact(email)
	return nil
}

func (s *Server) contactNote(c *call) error {
	email := c.r.PathValue("email")
	if err := s.desk.NoteContact(c.r.Context(), c.prop, c.actor(), email, c.r.PostFormValue("text")); err != nil {
		return err
	}
	c.backToContact(email)
	return nil
}

func (s *Server) contactMerge(c *call) error {
	into := strings.TrimSpace(c.r.PostFormValue("into"))
	if into == "" {
		return badForm("give the address of the contact to merge into")
	}
	ct, err := s.desk.MergeContacts(c.r.Context(), c.prop, c.actor(), c.r.PathValue("email"), into)
	if err != nil {
		return err
	}
	c.backToContact(ct.Email)
	return nil
}

func (s *Server) contactField(c *call) error {
	email := c.r.PathValue("email")
	_, err := s.desk.SetContactField(c.r.Context(), c.prop, c.actor(), email, c.r.PostFormValue("name"), c.r.PostFormValue("value"))
	if err != nil {
		return err
	}
	c.backToContact(email)
	return nil
}
