package web

import (
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Compose: a member opens a ticket by hand, for an existing contact or one
// made on the spot, as `ticket create` and POST /api/.../tickets do:
// through the desk's Op.Create with the member as its actor. With "record
// a phone call" nothing is mailed.

// maxComposeBody bounds a compose form: the desk's bounds on the files and
// the text, and room for the other fields and the multipart framing.
const maxComposeBody = desk.MaxFileBytes + desk.MaxText + 1<<20

func (s *Server) composeRoutes() {
	s.handle("GET /p/{prop}/compose", s.composeForm)
	s.mux.Handle("POST /p/{prop}/compose", maxBody(maxComposeBody, s.propPage(s.compose)))
}

// maxBody caps a request's body, so that a form cannot fill the disk with
// its parts before the desk's bounds are checked.
func maxBody(n int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// composePage is the compose form and the lists it offers.
type composePage struct {
	CSRF        string // the session's form token
	Prop        ticket.Property
	To          string // an existing contact's address, when the page was opened from one
	Topics      []store.Topic
	Departments []ticket.Department
	Members     []ticket.Member
	Priorities  []ticket.Priority
}

// PageTitle names the compose page.
func (composePage) PageTitle() string { return "New ticket" }

func (s *Server) composeForm(c *call) error {
	ctx := c.r.Context()
	p := composePage{CSRF: c.sess.CSRF, Prop: c.prop, To: c.r.URL.Query().Get("to"), Priorities: ticket.Priorities()}
	var err error
	if p.Topics, err = s.st.PropertyTopics(ctx, c.prop.ID); err != nil {
		return err
	}
	if p.Departments, err = s.st.Departments(ctx, c.prop.Slug); err != nil {
		return err
	}
	if p.Members, err = s.st.Members(ctx, c.prop.Slug); err != nil {
		return err
	}
	return c.render(http.StatusOK, "compose", p)
}

// compose opens the ticket and sends the browser to it.
func (s *Server) compose(c *call) error {
	n, err := composeTicket(c.r)
	if err != nil {
		return err
	}
	var t ticket.Ticket
	err = s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) (err error) {
		t, _, err = o.Create(n)
		return err
	})
	if err != nil {
		return err
	}
	c.seeOther("/p/" + c.prop.Slug + "/tickets/" + itoa(t.Number))
	return nil
}

// composeTicket reads the compose form into the desk's NewTicket; the
// desk checks it. The form's "who" says whether the customer is an
// existing contact (requester) or a new one (email, name, phone); the
// assignee "" is the member herself and "-" nobody (unassigned).
func composeTicket(r *http.Request) (desk.NewTicket, error) {
	f := r.PostForm
	n := desk.NewTicket{Subject: f.Get("subject"), Text: f.Get("text"), Topic: f.Get("topic"),
		Department: f.Get("department"), Assignee: f.Get("assignee"), NoMail: f.Get("no_mail") != ""}
	if f.Get("who") == "new" {
		n.Requester, n.NewContact, n.Name, n.Phone = f.Get("email"), true, f.Get("name"), f.Get("phone")
	} else {
		n.Requester = f.Get("requester")
	}
	if n.Assignee == "-" {
		n.Assignee, n.Unassigned = "", true
	}
	n.Tags = splitWords(f.Get("tags"))
	if v := f.Get("priority"); v != "" {
		p, err := ticket.ParsePriority(v)
		if err != nil {
			return n, badForm("priority: %v", err)
		}
		n.Priority = p
	}
	var err error
	if r.MultipartForm != nil {
		n.Files, err = formFiles(r.MultipartForm.File["files"])
	}
	return n, err
}

// formFiles reads a form's uploaded files as the desk takes them; a part
// whose type says nothing (application/octet-stream) leaves the desk to
// find it from the name or the bytes.
func formFiles(hs []*multipart.FileHeader) ([]desk.File, error) {
	var files []desk.File
	for _, h := range hs {
		if h.Filename == "" && h.Size == 0 {
			continue // the empty file input of a form sent without a file
		}
		data, err := readFormFile(h)
		if err != nil {
			return nil, err
		}
		ct := h.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/octet-stream") {
			ct = ""
		}
		files = append(files, desk.File{Name: h.Filename, ContentType: ct, Data: data})
	}
	return files, nil
}

func readFormFile(h *multipart.FileHeader) ([]byte, error) {
	f, err := h.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
