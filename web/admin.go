package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// The admin pages of a property: its settings and forwarding address, its
// team (members, departments), its catalog (topics, custom fields, saved
// replies) and, in adminmail.go, its webhooks, mailboxes, held mail and
// suppressions. Only the property's admins see them; every change is the
// desk operation the CLI and the API run, which checks the role again.

func (s *Server) adminRoutes() {
	const p = "/p/{prop}/admin"
	s.handle("GET "+p+"/{$}", s.admin(s.adminIndex))
	s.handle("GET "+p, s.admin(s.adminIndex))
	s.handle("POST "+p+"/property", s.adminSetProperty)
	s.handle("GET "+p+"/members", s.admin(s.adminMembers))
	s.handle("POST "+p+"/members", s.adminAddMember)
	s.handle("POST "+p+"/members/{email}", s.adminSetMember)
	s.handle("GET "+p+"/departments", s.admin(s.adminDepartments))
	s.handle("POST "+p+"/departments", s.adminAddDepartment)
	s.handle("GET "+p+"/sla", s.admin(s.adminSLA))
	s.handle("POST "+p+"/sla", s.adminSetSLA)
	s.handle("GET "+p+"/topics", s.admin(s.adminTopics))
	s.handle("POST "+p+"/topics", s.adminAddTopic)
	s.handle("GET "+p+"/fields", s.admin(s.adminFields))
	s.handle("POST "+p+"/fields", s.adminAddField)
	s.handle("GET "+p+"/replies", s.admin(s.adminReplies))
	s.handle("POST "+p+"/replies", s.adminAddReply)
	s.adminMailRoutes()
}

// admin wraps a page of the admin area: admins only.
func (s *Server) admin(fn func(*call) error) func(*call) error {
	return func(c *call) error {
		if err := c.adminOnly(); err != nil {
			return err
		}
		return fn(c)
	}
}

// adminPage is the data of an admin page: which section, the property,
// and the section's own lists.
type adminPage struct {
	CSRF    string // the session's form token
	Section string
	Prop    ticket.Property
	Data    any
}

// PageTitle names an admin page.
func (p adminPage) PageTitle() string { return "Admin · " + p.Section }

// renderAdmin shows a section of the admin pages (templates/admin.html
// holds them all, around one navigation).
func (c *call) renderAdmin(section string, data any) error {
	return c.render(http.StatusOK, "admin", adminPage{CSRF: c.sess.CSRF, Section: section, Prop: c.prop, Data: data})
}

// adminPath is the path of an admin section of the call's property.
func (c *call) adminPath(section string) string { return "/p/" + c.prop.Slug + "/admin/" + section }

// propertyData is the property section: its settings and the addresses
// mail is forwarded to.
type propertyData struct {
	Forwardings []store.Forwarding
}

func (s *Server) adminIndex(c *call) error {
	fws, err := s.st.Forwardings(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.renderAdmin("property", propertyData{Forwardings: fws})
}

func (s *Server) adminSetProperty(c *call) error {
	on := c.r.PostFormValue("assign_on_answer") != ""
	if err := s.desk.SetAssignOnAnswer(c.r.Context(), c.prop, c.actor(), on); err != nil {
		return err
	}
	c.seeOther(c.adminPath(""))
	return nil
}

func (s *Server) adminMembers(c *call) error {
	l, err := s.st.Members(c.r.Context(), c.prop.Slug)
	if err != nil {
		return err
	}
	return c.renderAdmin("members", l)
}

func (s *Server) adminAddMember(c *call) error {
	f := c.r.PostForm
	role := ticket.Role(f.Get("role"))
	if role == "" {
		role = ticket.RoleAgent
	}
	m := ticket.Member{Email: f.Get("email"), Name: f.Get("name"), Role: role}
	if _, err := s.desk.AddMember(c.r.Context(), c.prop, c.actor(), m); err != nil {
		return err
	}
	c.seeOther(c.adminPath("members"))
	return nil
}

// adminSetMember changes a member's role, availability and capacity, as
// `member set` does (the desk keeps the last admin one).
func (s *Server) adminSetMember(c *call) error {
	f := c.r.PostForm
	available := f.Get("available") != ""
	capacity, err := strconv.Atoi(strings.TrimSpace(cmpOr(f.Get("capacity"), "0")))
	if err != nil {
		return badForm("capacity %q: give a whole number (0: no cap)", f.Get("capacity"))
	}
	ch := desk.MemberChange{Available: &available, Capacity: &capacity}
	if r := ticket.Role(f.Get("role")); r != "" {
		ch.Role = &r
	}
	if _, err := s.desk.SetMember(c.r.Context(), c.prop, c.actor(), c.r.PathValue("email"), ch); err != nil {
		return err
	}
	c.seeOther(c.adminPath("members"))
	return nil
}

// departmentsData is the departments section: the departments and the
// members that may be put in one.
type departmentsData struct {
	Departments []ticket.Department
	Members     []ticket.Member
}

func (s *Server) adminDepartments(c *call) error {
	var d departmentsData
	var err error
	if d.Departments, err = s.st.Departments(c.r.Context(), c.prop.Slug); err != nil {
		return err
	}
	if d.Members, err = s.st.Members(c.r.Context(), c.prop.Slug); err != nil {
		return err
	}
	return c.renderAdmin("departments", d)
}

func (s *Server) adminAddDepartment(c *call) error {
	f := c.r.PostForm
	d := ticket.Department{Name: f.Get("name"), IsDefault: f.Get("default") != "", Members: f["members"]}
	if _, err := s.desk.AddDepartment(c.r.Context(), c.prop, c.actor(), d); err != nil {
		return err
	}
	c.seeOther(c.adminPath("departments"))
	return nil
}

// slaData is the SLA section: the policy in the words of `sla set`.
type slaData struct {
	Found         bool
	FirstResponse string
	Resolution    string
	Hours         string
	Zone          string
	Holidays      string
	WarnShare     string
}

func (s *Server) adminSLA(c *call) error {
	p, found, err := s.desk.SLAPolicy(c.r.Context(), c.prop)
	if err != nil {
		return err
	}
	d := slaData{Found: found, WarnShare: strconv.FormatFloat(sla.DefaultWarnShare, 'f', -1, 64)}
	if found {
		w := p.Words()
		d.FirstResponse, d.Resolution = strings.Join(w.FirstResponse, ", "), strings.Join(w.Resolution, ", ")
		d.Hours, d.Zone, d.Holidays = strings.Join(w.Hours, "; "), w.Zone, strings.Join(w.Holidays, ", ")
		d.WarnShare = strconv.FormatFloat(p.Warn(), 'f', -1, 64)
	}
	return c.renderAdmin("sla", d)
}

// adminSetSLA sets the policy from the form, whose fields are the flags
// of `sla set` (sla.Words reads both); the desk validates it whole.
func (s *Server) adminSetSLA(c *call) error {
	f := c.r.PostForm
	w := sla.Words{FirstResponse: []string{f.Get("first-response")}, Resolution: []string{f.Get("resolution")},
		Hours: strings.Split(f.Get("hours"), ";"), Zone: f.Get("time-zone"), Holidays: []string{f.Get("holiday")}}
	if v := strings.TrimSpace(f.Get("warn-share")); v != "" {
		share, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return badForm("--warn-share %q: give a share such as 0.8", v)
		}
		w.WarnShare = share
	}
	p, err := w.Policy()
	if err != nil {
		return badForm("%v", err)
	}
	if err := s.desk.SetSLAPolicy(c.r.Context(), c.prop, c.actor(), p); err != nil {
		return err
	}
	c.seeOther(c.adminPath("sla"))
	return nil
}

func (s *Server) adminTopics(c *call) error {
	l, err := s.st.PropertyTopics(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.renderAdmin("topics", l)
}

func (s *Server) adminAddTopic(c *call) error {
	err := s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) error {
		_, err := o.AddTopic(c.r.PostFormValue("name"))
		return err
	})
	if err != nil {
		return err
	}
	c.seeOther(c.adminPath("topics"))
	return nil
}

func (s *Server) adminFields(c *call) error {
	l, err := s.st.Fields(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.renderAdmin("fields", l)
}

// adminAddField defines a custom field as `field add` does: for tickets
// or contacts, of type text, number, date or choice (the choices a comma
// list).
func (s *Server) adminAddField(c *call) error {
	fm := c.r.PostForm
	f := ticket.Field{Name: strings.TrimSpace(fm.Get("name"))}
	var err error
	if f.For, err = ticket.ParseFieldTarget(fm.Get("for")); err != nil {
		return badForm("for: %v", err)
	}
	if f.Type, err = ticket.ParseFieldType(cmpOr(fm.Get("type"), "text")); err != nil {
		return badForm("type: %v", err)
	}
	for _, ch := range strings.Split(fm.Get("choices"), ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			f.Choices = append(f.Choices, ch)
		}
	}
	if _, err := s.desk.AddField(c.r.Context(), c.prop, c.actor(), f); err != nil {
		return err
	}
	c.seeOther(c.adminPath("fields"))
	return nil
}

func (s *Server) adminReplies(c *call) error {
	l, err := s.st.PropertyReplyTemplates(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.renderAdmin("replies", l)
}

// adminAddReply saves a reply (any member may, as the desk allows; the
// page lives with the admin pages).
func (s *Server) adminAddReply(c *call) error {
	err := s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) error {
		_, err := o.AddReplyTemplate(c.r.PostFormValue("name"), c.r.PostFormValue("body"))
		return err
	})
	if err != nil {
		return err
	}
	c.seeOther(c.adminPath("replies"))
	return nil
}

// cmpOr is a, or b when a is blank.
func cmpOr(a, b string) string {
	if strings.TrimSpace(a) == "" {
		return b
	}
	return a
}
