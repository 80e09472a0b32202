package webapi

import (
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// catalogRoutes are the property's lists that tickets draw on: topics,
// saved replies and custom fields (`topic`, `reply-template`, `field` on
// the command line). Adding one is as the desk allows: topics and fields
// by admins, saved replies by any member.
func (s *Server) catalogRoutes() []route {
	const p = "/api/properties/{prop}"
	return []route{
		{Route: Route{Method: "GET", Path: p + "/topics", Summary: "The property's topics",
			Response: []store.Topic{}}, access: member, h: s.listTopics},
		{Route: Route{Method: "POST", Path: p + "/topics", Summary: "Add a topic (topic add); 409 if it exists", Conflict: true,
			Request: topicNew{}, Response: store.Topic{}}, access: admin, h: s.addTopic},
		{Route: Route{Method: "GET", Path: p + "/reply-templates", Summary: "The property's saved replies",
			Response: []store.ReplyTemplate{}}, access: member, h: s.listTemplates},
		{Route: Route{Method: "POST", Path: p + "/reply-templates", Summary: "Save a reply (reply-template add), with placeholders {{" + strings.Join(desk.Placeholders, "}} {{") + "}}", Conflict: true,
			Request: templateNew{}, Response: store.ReplyTemplate{}}, access: member, h: s.addTemplate},
		{Route: Route{Method: "GET", Path: p + "/fields", Summary: "The property's custom fields of tickets and contacts",
			Response: []ticket.Field{}}, access: member, h: s.listFields},
		{Route: Route{Method: "POST", Path: p + "/fields", Summary: "Define a custom field (field add): for ticket or contact, type text, number, date or choice",
			Request: fieldNew{}, Response: ticket.Field{}}, access: admin, h: s.addField},
	}
}

func (s *Server) listTopics(c *call) error {
	l, err := s.st.PropertyTopics(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.ok(nonNil(l))
}

// topicNew is a topic to add.
type topicNew struct {
	Name string `json:"name"`
}

func (s *Server) addTopic(c *call) error {
	var in topicNew
	if err := c.readJSON(&in); err != nil {
		return err
	}
	var tp store.Topic
	err := s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) (err error) {
		tp, err = o.AddTopic(in.Name)
		return err
	})
	if err != nil {
		return err
	}
	return c.writeJSON(http.StatusCreated, tp)
}

func (s *Server) listTemplates(c *call) error {
	l, err := s.st.PropertyReplyTemplates(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.ok(nonNil(l))
}

// templateNew is a saved reply to add.
type templateNew struct {
	Name string `json:"name"`
	Body string `json:"body"`
}

func (s *Server) addTemplate(c *call) error {
	var in templateNew
	if err := c.readJSON(&in); err != nil {
		return err
	}
	var r store.ReplyTemplate
	err := s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) (err error) {
		r, err = o.AddReplyTemplate(in.Name, in.Body)
		return err
	})
	if err != nil {
		return err
	}
	return c.writeJSON(http.StatusCreated, r)
}

func (s *Server) listFields(c *call) error {
	l, err := s.st.Fields(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.ok(nonNil(l))
}

// fieldNew is a custom field to define.
type fieldNew struct {
	For     string   `json:"for"` // ticket or contact
	Name    string   `json:"name"`
	Type    string   `json:"type,omitempty"` // text (default), number, date or choice
	Choices []string `json:"choices,omitempty"`
}

func (s *Server) addField(c *call) error {
	var in fieldNew
	if err := c.readJSON(&in); err != nil {
		return err
	}
	f := ticket.Field{Name: strings.TrimSpace(in.Name), Choices: in.Choices}
	var err error
	if f.For, err = ticket.ParseFieldTarget(in.For); err != nil {
		return invalidInput("for: %v", err)
	}
	if in.Type == "" {
		in.Type = "text"
	}
	if f.Type, err = ticket.ParseFieldType(in.Type); err != nil {
		return invalidInput("type: %v", err)
	}
	if f, err = s.desk.AddField(c.r.Context(), c.prop, c.actor(), f); err != nil {
		return err
	}
	return c.writeJSON(http.StatusCreated, f)
}
