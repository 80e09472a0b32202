package webapi

import (
	"net/http"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// teamRoutes are a property's settings, team and SLA policy: what
// `property set`, `member`, `department` and `sla` do on the command line,
// through the same desk operations, which check the roles again.
func (s *Server) teamRoutes() []route {
	const p = "/api/properties/{prop}"
	return []route{
		{Route: Route{Method: "PATCH", Path: p, Summary: "Change the property's settings (property set)",
			Request: propertyPatch{}, Response: ticket.Property{}}, access: admin, h: s.patchProperty},
		{Route: Route{Method: "GET", Path: p + "/members", Summary: "The property's members: role, availability, capacity",
			Response: []ticket.Member{}}, access: member, h: s.listMembers},
		{Route: Route{Method: "POST", Path: p + "/members", Summary: "Add a member (member add); 409 if she is one", Conflict: true,
			Request: memberNew{}, Response: ticket.Member{}}, access: admin, h: s.addMember},
		{Route: Route{Method: "PATCH", Path: p + "/members/{email}", Summary: "Change a member's availability, capacity or role (member set); the last admin stays one",
			Request: memberPatch{}, Response: ticket.Member{}}, access: admin, h: s.patchMember},
		{Route: Route{Method: "GET", Path: p + "/departments", Summary: "The property's departments and their members",
			Response: []ticket.Department{}}, access: member, h: s.listDepartments},
		{Route: Route{Method: "POST", Path: p + "/departments", Summary: "Add a department (department add); default: it takes new tickets; 409 if it exists", Conflict: true,
			Request: departmentNew{}, Response: ticket.Department{}}, access: admin, h: s.addDepartment},
		{Route: Route{Method: "GET", Path: p + "/sla", Summary: "The SLA policy (sla show): targets per priority as durations (90m, 4h, 2d), business hours, holidays; 404 if none",
			Response: sla.Policy{}}, access: member, h: s.getSLA},
		{Route: Route{Method: "PUT", Path: p + "/sla", Summary: "Set the SLA policy (sla set), validated whole",
			Request: sla.Policy{}, Response: sla.Policy{}}, access: admin, h: s.putSLA},
		{Route: Route{Method: "GET", Path: p + "/audit", Summary: "The audit log: changes to the property outside its tickets, newest first",
			Query:    []Param{{Name: "limit", Type: "integer", Doc: "how many entries (1 to 500, default 50)"}},
			Response: []store.AuditEntry{}}, access: admin, h: s.listAudit},
	}
}

// propertyPatch is what PATCH /api/properties/{prop} changes; absent
// fields stay as they are.
type propertyPatch struct {
	// AssignOnAnswer: an unassigned ticket answered by an agent becomes
	// hers.
	AssignOnAnswer *bool `json:"assign_on_answer,omitempty"`
}

func (s *Server) patchProperty(c *call) error {
	var in propertyPatch
	if err := c.readJSON(&in); err != nil {
		return err
	}
	if in.AssignOnAnswer == nil {
		return invalidInput("nothing to change: give assign_on_answer")
	}
	if err := s.desk.SetAssignOnAnswer(c.r.Context(), c.prop, c.actor(), *in.AssignOnAnswer); err != nil {
		return err
	}
	p, err := s.st.Property(c.r.Context(), c.prop.Slug)
	if err != nil {
		return err
	}
	return c.ok(p)
}

func (s *Server) listMembers(c *call) error {
	members, err := s.st.Members(c.r.Context(), c.prop.Slug)
	if err != nil {
		return err
	}
	return c.ok(nonNil(members))
}

// memberNew is a member to add.
type memberNew struct {
	Email string      `json:"email"`
	Name  string      `json:"name,omitempty"`
	Role  ticket.Role `json:"role,omitempty"` // agent (default) or admin
}

func (s *Server) addMember(c *call) error {
	var in memberNew
	if err := c.readJSON(&in); err != nil {
		return err
	}
	if in.Role == "" {
		in.Role = ticket.RoleAgent
	}
	m, err := s.desk.AddMember(c.r.Context(), c.prop, c.actor(), ticket.Member{Email: in.Email, Name: in.Name, Role: in.Role})
	if err != nil {
		return err
	}
	return c.writeJSON(http.StatusCreated, m)
}

// memberPatch is what PATCH .../members/{email} changes; absent fields
// stay as they are.
type memberPatch struct {
	Available *bool        `json:"available,omitempty"`
	Capacity  *int         `json:"capacity,omitempty"` // 0: no cap
	Role      *ticket.Role `json:"role,omitempty"`
}

func (s *Server) patchMember(c *call) error {
	var in memberPatch
	if err := c.readJSON(&in); err != nil {
		return err
	}
	ch := desk.MemberChange{Available: in.Available, Capacity: in.Capacity, Role: in.Role}
	if ch == (desk.MemberChange{}) {
		return invalidInput("nothing to change: give available, capacity or role")
	}
	m, err := s.desk.SetMember(c.r.Context(), c.prop, c.actor(), c.r.PathValue("email"), ch)
	if err != nil {
		return err
	}
	return c.ok(m)
}

func (s *Server) listDepartments(c *call) error {
	deps, err := s.st.Departments(c.r.Context(), c.prop.Slug)
	if err != nil {
		return err
	}
	return c.ok(nonNil(deps))
}

// departmentNew is a department to add.
type departmentNew struct {
	Name    string   `json:"name"`
	Members []string `json:"members,omitempty"` // member addresses
	Default bool     `json:"default,omitempty"` // make it the property's default department
}

func (s *Server) addDepartment(c *call) error {
	var in departmentNew
	if err := c.readJSON(&in); err != nil {
		return err
	}
	d, err := s.desk.AddDepartment(c.r.Context(), c.prop, c.actor(), ticket.Department{Name: in.Name, IsDefault: in.Default, Members: in.Members})
	if err != nil {
		return err
	}
	return c.writeJSON(http.StatusCreated, d)
}

func (s *Server) getSLA(c *call) error {
	p, found, err := s.desk.SLAPolicy(c.r.Context(), c.prop)
	if err != nil {
		return err
	}
	if !found {
		return notFound("the SLA policy of %s (its tickets have no due times)", c.prop.Slug)
	}
	return c.ok(p)
}

func (s *Server) putSLA(c *call) error {
	var p sla.Policy
	if err := c.readJSON(&p); err != nil {
		return err
	}
	if len(p.Targets) == 0 {
		return invalidInput("give targets: {\"targets\": {\"high\": {\"first_response\": \"1h\", \"resolution\": \"8h\"}}}")
	}
	if err := s.desk.SetSLAPolicy(c.r.Context(), c.prop, c.actor(), p); err != nil {
		return err
	}
	return s.getSLA(c)
}

// listAudit answers the audit log. It is an admin's route: the log is the
// account of who changed the team, the settings and the policies, kept for
// the property's admins to oversee. (`audit list` on the command line has
// no role check because whoever runs it holds the database file.)
func (s *Server) listAudit(c *call) error {
	limit, err := c.limit()
	if err != nil {
		return err
	}
	log, err := s.st.AuditLog(c.r.Context(), c.prop.ID, limit)
	if err != nil {
		return err
	}
	return c.ok(nonNil(log))
}
