package webapi

import (
	"net/http"
	"strconv"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
)

// webhookRoutes manage a property's webhook endpoints (admins): the
// events they get are signed per the Standard Webhooks specification and
// sent by package hook.
func (s *Server) webhookRoutes() []route {
	const base = "/api/properties/{prop}/webhooks"
	return []route{
		{Route: Route{Method: "GET", Path: base, Summary: "The property's webhook endpoints, without their secrets",
			Response: []store.Webhook{}}, access: admin, h: s.listWebhooks},
		{Route: Route{Method: "POST", Path: base, Summary: "Add a webhook endpoint; the answer carries its signing secret, this once",
			Request: desk.WebhookSpec{}, Response: webhookCreated{}}, access: admin, h: s.addWebhook},
		{Route: Route{Method: "DELETE", Path: base + "/{id}", Summary: "Remove a webhook endpoint, its queue and its delivery log"},
			access: admin, h: s.removeWebhook},
		{Route: Route{Method: "POST", Path: base + "/{id}/enable", Summary: "Turn a disabled webhook endpoint on again",
			Response: store.Webhook{}}, access: admin, h: s.enableWebhook},
		{Route: Route{Method: "POST", Path: base + "/{id}/test", Summary: "Send a signed test event to the endpoint and answer what came of it",
			Response: store.WebhookAttempt{}}, access: admin, h: s.testWebhook},
		{Route: Route{Method: "GET", Path: base + "/{id}/deliveries", Summary: "The endpoint's delivery log, newest first: one line per attempt",
			Query:    []Param{{"limit", "integer", "attempts per page, 1 to 500 (50)"}, {"cursor", "string", "the next of the page before"}},
			Response: Page[store.WebhookAttempt]{}}, access: admin, h: s.webhookDeliveries},
	}
}

// webhookCreated is a new endpoint with its secret, shown this once.
type webhookCreated struct {
	store.Webhook
	Secret string `json:"secret"`
}

func (s *Server) listWebhooks(c *call) error {
	hooks, err := s.st.Webhooks(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.ok(nonNil(hooks))
}

func (s *Server) addWebhook(c *call) error {
	var spec desk.WebhookSpec
	if err := c.readJSON(&spec); err != nil {
		return err
	}
	var w store.Webhook
	err := s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) error {
		var err error
		w, err = o.AddWebhook(spec)
		return err
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("Location", "/api/properties/"+c.prop.Slug+"/webhooks/"+strconv.FormatInt(w.ID, 10))
	return c.writeJSON(http.StatusCreated, webhookCreated{Webhook: w, Secret: w.Secret})
}

func (s *Server) removeWebhook(c *call) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	if err := s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) error { return o.RemoveWebhook(id) }); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) enableWebhook(c *call) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	var w store.Webhook
	err = s.desk.Run(c.r.Context(), c.prop, c.actor(), func(o *desk.Op) error {
		w, err = o.EnableWebhook(id)
		return err
	})
	if err != nil {
		return err
	}
	return c.ok(w)
}

func (s *Server) testWebhook(c *call) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	w, err := s.st.Webhook(c.r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	a, err := s.hooks.Test(c.r.Context(), w, c.prop)
	if err != nil {
		return err
	}
	return c.ok(a)
}

func (s *Server) webhookDeliveries(c *call) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	limit, err := c.limit()
	if err != nil {
		return err
	}
	var before int64
	if v := c.r.URL.Query().Get("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before <= 0 {
			return badRequest("cursor %q: pass the next of the page before", v)
		}
	}
	if _, err := s.st.Webhook(c.r.Context(), c.prop.ID, id); err != nil {
		return err
	}
	log, err := s.st.WebhookAttempts(c.r.Context(), id, before, limit+1)
	if err != nil {
		return err
	}
	page := Page[store.WebhookAttempt]{Items: log}
	if len(log) > limit {
		page.Items = log[:limit]
		page.Next = strconv.FormatInt(log[limit-1].ID, 10)
	}
	page.Items = nonNil(page.Items)
	return c.ok(page)
}
