package webapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// newTicketRequest is a ticket opened by hand, as `ticket create` takes it.
type newTicketRequest struct {
	// Requester is an existing contact's address; Email a new contact's,
	// with Name and Phone. Give one of the two.
	Requester string `json:"requester,omitempty"`
	Email     string `json:"email,omitempty"`
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone,omitempty"`

	Subject    string   `json:"subject"`
	Text       string   `json:"text"`
	Priority   string   `json:"priority,omitempty"` // lowest … highest; default medium
	Tags       []string `json:"tags,omitempty"`
	Topic      string   `json:"topic,omitempty"`
	Department string   `json:"department,omitempty"` // default: the property's default department
	Assignee   string   `json:"assignee,omitempty"`   // default: the caller
	Unassigned bool     `json:"unassigned,omitempty"` // leave it with its department
	// NoMail records a phone call: the message is kept as a note and
	// nobody is mailed.
	NoMail bool `json:"no_mail,omitempty"`
}

// replyRequest is an answer: its text, or a saved reply's name.
type replyRequest struct {
	Text     string `json:"text,omitempty"`
	Template string `json:"template,omitempty"`
}

// noteRequest is an internal note.
type noteRequest struct {
	Text string `json:"text"`
}

// newTicket checks the request as `ticket create` checks its flags and
// makes the desk's NewTicket.
func (r newTicketRequest) newTicket(files []desk.File) (desk.NewTicket, error) {
	n := desk.NewTicket{Name: r.Name, Phone: r.Phone, Subject: r.Subject, Text: r.Text, Files: files, Tags: r.Tags,
		Topic: r.Topic, Department: r.Department, Assignee: r.Assignee, Unassigned: r.Unassigned, NoMail: r.NoMail}
	switch {
	case (r.Requester == "") == (r.Email == ""):
		return n, invalidInput("give the customer: requester (an existing contact's address) or email (a new contact's, with name and phone)")
	case r.Requester != "" && (r.Name != "" || r.Phone != ""):
		return n, invalidInput("name and phone describe a new contact: give them with email, not requester")
	}
	n.Requester, n.NewContact = r.Requester+r.Email, r.Email != ""
	if r.Priority != "" {
		p, err := ticket.ParsePriority(r.Priority)
		if err != nil {
			return n, invalidInput("priority: %v", err)
		}
		n.Priority = p
	}
	return n, nil
}

// createTicket opens a ticket as the caller (desk's Op.Create, as `ticket
// create` does) and answers it with 201 and its Location.
func (s *Server) createTicket(c *call) error {
	var req newTicketRequest
	files, err := c.readBody("ticket", &req)
	if err != nil {
		return err
	}
	n, err := req.newTicket(files)
	if err != nil {
		return err
	}
	var out ticket.Ticket
	var tag string
	err = s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) error {
		t, _, err := o.Create(n)
		if err != nil {
			return err
		}
		out, tag, err = desk.Reread(o.Tx, t.PropertyID, t.ID)
		return err
	})
	if err != nil {
		return err
	}
	return c.created(out, tag)
}

// replyTicket answers the customer as the caller (desk's Op.Reply, as
// `ticket reply` does, with the same limit of recipients).
func (s *Server) replyTicket(c *call) error {
	var req replyRequest
	files, err := c.readBody("reply", &req)
	if err != nil {
		return err
	}
	if req.Text != "" && req.Template != "" {
		return invalidInput("give text or template, not both")
	}
	return c.writeMessage(func(o *desk.Op, t *ticket.Ticket) (*ticket.Message, error) {
		text := req.Text
		if req.Template != "" {
			var err error
			if text, err = o.RenderTemplate(*t, req.Template); err != nil {
				return nil, err
			}
		}
		return o.Reply(t, text, files, s.answerRcpts)
	})
}

// noteTicket adds an internal note as the caller (desk's Op.Note).
func (s *Server) noteTicket(c *call) error {
	var req noteRequest
	files, err := c.readBody("note", &req)
	if err != nil {
		return err
	}
	return c.writeMessage(func(o *desk.Op, t *ticket.Ticket) (*ticket.Message, error) {
		return o.Note(t, req.Text, files)
	})
}

// writeMessage runs fn, which writes a message on the path's ticket, and
// answers the message as stored with 201; the ticket's new ETag is in the header
// Ticket-ETag, for a following If-Match.
func (c *call) writeMessage(fn func(*desk.Op, *ticket.Ticket) (*ticket.Message, error)) error {
	var m *ticket.Message
	var tag, ref string
	err := c.onTicket(func(o *desk.Op, t *ticket.Ticket) error {
		var err error
		if m, err = fn(o, t); err != nil {
			return err
		}
		_, tag, err = desk.Reread(o.Tx, t.PropertyID, t.ID)
		ref = ticketURL(c.prop.Slug, t.Number)
		return err
	})
	if err != nil {
		return err
	}
	stored, err := c.s.st.Message(c.r.Context(), m.ID) // as GET shows it: times in milliseconds
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Location", ref)
	c.w.Header().Set("Ticket-ETag", tag)
	return c.writeJSON(http.StatusCreated, stored)
}

// maxFormParts is the most parts other than files a multipart body may
// have: a request's fields are a handful, each given once but for tags.
const maxFormParts = 64

// readBody reads a request that is JSON into v, or multipart/form-data
// (RFC 7578) whose part named jsonPart holds the JSON (or whose form
// fields are v's fields by their JSON names), and whose parts with a
// filename are files. A file's type is its part's Content-Type, unless
// that says nothing (application/octet-stream), when the desk finds it
// from the name or the bytes. It stops at the first part past what a
// message can carry (desk.MaxFiles files, maxFormParts others), so that a
// body of many empty parts costs no more than a body of large ones.
func (c *call) readBody(jsonPart string, v any) ([]desk.File, error) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, c.readJSON(v)
	}
	mr, err := c.r.MultipartReader()
	if err != nil {
		return nil, badRequest("the multipart body does not read: %v", err)
	}
	var files []desk.File
	form := map[string][]string{}
	sawJSON, others := false, 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, partError(err)
		}
		switch {
		case p.FileName() != "" && len(files) == desk.MaxFiles:
			return nil, invalidInput("more than %d files: a message carries at most %d", desk.MaxFiles, desk.MaxFiles)
		case p.FileName() == "":
			if others++; others > maxFormParts {
				return nil, badRequest("more than %d form fields", maxFormParts)
			}
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, partError(err)
		}
		switch name := p.FormName(); {
		case p.FileName() != "":
			ct := p.Header.Get("Content-Type")
			if mt, _, _ := mime.ParseMediaType(ct); mt == "application/octet-stream" {
				ct = ""
			}
			files = append(files, desk.File{Name: p.FileName(), ContentType: ct, Data: data})
		case name == jsonPart:
			if sawJSON {
				return nil, badRequest("the part %q is given twice", jsonPart)
			}
			sawJSON = true
			if err := decodeStrict(bytes.NewReader(data), v); err != nil {
				return nil, badRequest("the part %q: %s", jsonPart, jsonError(err))
			}
		default:
			form[name] = append(form[name], string(data))
		}
	}
	switch {
	case sawJSON && len(form) > 0:
		return nil, badRequest("give the %q JSON part or form fields, not both", jsonPart)
	case !sawJSON:
		if err := formInto(form, v); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// partError is the error of a multipart body that fails midway: too large
// (413), or malformed (400).
func partError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badRequest("the multipart body does not read: %v", err)
}

// formInto sets the fields of struct *v from form fields named by their
// JSON names: a list field takes every value given, a boolean one
// true/false, a string one its only value. An unknown name is refused.
func formInto(form map[string][]string, v any) error {
	rv := reflect.ValueOf(v).Elem()
	fields := map[string]reflect.Value{}
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		fields[name] = rv.Field(i)
	}
	for name, vals := range form {
		f, ok := fields[name]
		if !ok || name == "" || name == "-" {
			return badRequest("unknown form field %q", name)
		}
		switch f.Kind() {
		case reflect.Slice:
			f.Set(reflect.ValueOf(vals))
			continue
		}
		if len(vals) > 1 {
			return badRequest("form field %q given %d times: give it once", name, len(vals))
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(vals[0])
		case reflect.Bool:
			b, err := strconv.ParseBool(vals[0])
			if err != nil {
				return badRequest("form field %s %q: want true or false", name, vals[0])
			}
			f.SetBool(b)
		default:
			return badRequest("form field %q cannot be given as a form field; send the JSON part", name)
		}
	}
	return nil
}
