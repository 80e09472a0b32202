package webapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
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
			Request: desk.WebhookSpec{}, Response: desk.WebhookCreated{}}, access: admin, h: s.addWebhook},
		{Route: Route{Method: "DELETE", Path: base + "/{id}", Summary: "Remove a webhook endpoint, its queue and its delivery log"},
			access: admin, h: s.removeWebhook},
		{Route: Route{Method: "POST", Path: base + "/{id}/enable", Summary: "Turn a disabled webhook endpoint on again",
			Response: store.Webhook{}}, access: admin, h: s.enableWebhook},
		{Route: Route{Method: "POST", Path: base + "/{id}/disable", Summary: "Turn a webhook endpoint off by hand: nothing more is sent or queued for it until it is enabled again",
			Response: store.Webhook{}}, access: admin, h: s.disableWebhook},
		{Route: Route{Method: "POST", Path: base + "/{id}/test", Summary: "Send a signed test event to the endpoint and answer what came of it",
			Response: store.WebhookAttempt{}}, access: admin, h: s.testWebhook},
		{Route: Route{Method: "GET", Path: base + "/{id}/deliveries", Summary: "The endpoint's delivery log, newest first: one line per attempt",
			Query:    []Param{{"limit", "integer", "attempts per page, 1 to 500 (50)"}, {"cursor", "string", "the next of the page before"}},
			Response: Page[store.WebhookAttempt]{}}, access: admin, h: s.webhookDeliveries},
	}
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
	w, err := s.desk.AddWebhook(c.r.Context(), c.prop, c.actor(), spec)
	if err != nil {
		return err
	}
	c.w.Header().Set("Location", "/api/properties/"+c.prop.Slug+"/webhooks/"+strconv.FormatInt(w.ID, 10))
	return c.writeJSON(http.StatusCreated, w)
}

func (s *Server) removeWebhook(c *call) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	if err := s.desk.RemoveWebhook(c.r.Context(), c.prop, c.actor(), id); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// webhookOp answers the path's endpoint after a desk operation on it.
func (s *Server) webhookOp(c *call, op func(context.Context, ticket.Property, desk.Actor, int64) (store.Webhook, error)) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	w, err := op(c.r.Context(), c.prop, c.actor(), id)
	if err != nil {
		return err
	}
	return c.ok(w)
}

func (s *Server) enableWebhook(c *call) error { return s.webhookOp(c, s.desk.EnableWebhook) }

func (s *Server) disableWebhook(c *call) error { return s.webhookOp(c, s.desk.DisableWebhook) }

func (s *Server) testWebhook(c *call) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	a, err := s.desk.TestWebhook(c.r.Context(), c.prop, c.actor(), id, s.hooks.Test)
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
