package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// The admin pages of a property's mail around its tickets: webhooks (as
// `webhook` and the API's routes), the IMAP mailboxes fetched (as
// `mailbox list|status`), held mail (as `held`) and suppressed addresses
// (as `suppression`).

func (s *Server) adminMailRoutes() {
	const p = "/p/{prop}/admin"
	s.handle("GET "+p+"/webhooks", s.admin(s.adminWebhooks))
	s.handle("POST "+p+"/webhooks", s.adminAddWebhook)
	s.handle("GET "+p+"/webhooks/{id}", s.admin(s.adminWebhook))
	s.handle("POST "+p+"/webhooks/{id}/enable", s.adminEnableWebhook)
	s.handle("POST "+p+"/webhooks/{id}/disable", s.adminDisableWebhook)
	s.handle("POST "+p+"/webhooks/{id}/remove", s.adminRemoveWebhook)
	s.handle("POST "+p+"/webhooks/{id}/test", s.adminTestWebhook)
	s.handle("GET "+p+"/mailboxes", s.admin(s.adminMailboxes))
	s.handle("GET "+p+"/held", s.admin(s.adminHeld))
	s.handle("GET "+p+"/held/{id}", s.admin(s.adminHeldMail))
	s.handle("POST "+p+"/held/{id}/release", s.adminRelease)
	s.handle("POST "+p+"/held/{id}/discard", s.adminDiscard)
	s.handle("GET "+p+"/suppressions", s.admin(s.adminSuppressions))
	s.handle("POST "+p+"/suppressions/clear", s.adminClearSuppression)
}

// pathID is the path's {id}.
func (c *call) pathID() (int64, error) {
	id, ok := formInt(c.r.PathValue("id"))
	if !ok {
		return 0, errNotFound
	}
	return id, nil
}

// webhooksData is the webhooks section; Created is the endpoint just
// added, with its secret, shown this once.
type webhooksData struct {
	Hooks   []store.Webhook
	Created *desk.WebhookCreated
	Events  string // the event types an endpoint may ask for
}

func (s *Server) adminWebhooks(c *call) error {
	l, err := s.st.Webhooks(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.renderAdmin("webhooks", webhooksData{Hooks: l, Events: hookTypes()})
}

// adminAddWebhook adds an endpoint and shows its signing secret on the
// answer itself (not after a redirect): it is shown once and kept nowhere
// the browser could reload it from.
func (s *Server) adminAddWebhook(c *call) error {
	spec := desk.WebhookSpec{URL: strings.TrimSpace(c.r.PostFormValue("url")), Description: c.r.PostFormValue("description")}
	spec.Events = splitWords(c.r.PostFormValue("events"))
	w, err := s.desk.AddWebhook(c.r.Context(), c.prop, c.actor(), spec)
	if err != nil {
		return err
	}
	l, err := s.st.Webhooks(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.render(http.StatusCreated, "admin", adminPage{CSRF: c.sess.CSRF, Section: "webhooks", Prop: c.prop,
		Data: webhooksData{Hooks: l, Created: &w, Events: hookTypes()}})
}

// webhookData is one endpoint and its delivery log, newest first.
type webhookData struct {
	Hook     store.Webhook
	Attempts []store.WebhookAttempt
	CanTest  bool
}

func (s *Server) adminWebhook(c *call) error {
	id, err := c.pathID()
	if err != nil {
		return err
	}
	d := webhookData{CanTest: s.hooks != nil}
	if d.Hook, err = s.st.Webhook(c.r.Context(), c.prop.ID, id); err != nil {
		return err
	}
	if d.Attempts, err = s.st.WebhookAttempts(c.r.Context(), id, 0, 100); err != nil {
		return err
	}
	return c.renderAdmin("webhook", d)
}

// webhookOp runs a desk operation on the path's endpoint and goes back to
// the list.
func (s *Server) webhookOp(c *call, op func(context.Context, ticket.Property, desk.Actor, int64) (store.Webhook, error)) error {
	id, err := c.pathID()
	if err != nil {
		return err
	}
	if _, err := op(c.r.Context(), c.prop, c.actor(), id); err != nil {
		return err
	}
	c.seeOther(c.adminPath("webhooks"))
	return nil
}

func (s *Server) adminEnableWebhook(c *call) error { return s.webhookOp(c, s.desk.EnableWebhook) }

func (s *Server) adminDisableWebhook(c *call) error { return s.webhookOp(c, s.desk.DisableWebhook) }

func (s *Server) adminRemoveWebhook(c *call) error {
	return s.webhookOp(c, func(ctx context.Context, prop ticket.Property, a desk.Actor, id int64) (store.Webhook, error) {
		return store.Webhook{}, s.desk.RemoveWebhook(ctx, prop, a, id)
	})
}

// adminTestWebhook sends a signed test event, as the API's test route
// does (admins only, as the desk decides), and shows the endpoint's log
// with the attempt on top.
func (s *Server) adminTestWebhook(c *call) error {
	id, err := c.pathID()
	if err != nil {
		return err
	}
	var send desk.WebhookTestFunc // nil: this server sends no webhooks
	if s.hooks != nil {
		send = s.hooks.Test
	}
	if _, err := s.desk.TestWebhook(c.r.Context(), c.prop, c.actor(), id, send); err != nil {
		return err
	}
	c.seeOther(c.adminPath("webhooks/" + itoa(id)))
	return nil
}

func (s *Server) adminMailboxes(c *call) error {
	l, err := s.st.Mailboxes(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.renderAdmin("mailboxes", l)
}

func (s *Server) adminHeld(c *call) error {
	all := c.r.URL.Query().Get("all") != ""
	l, err := s.st.Held(c.r.Context(), c.prop.ID, all)
	if err != nil {
		return err
	}
	return c.renderAdmin("held", heldData{List: l, All: all})
}

// heldData is the held mail section: the list, or one mail with its bytes
// as text (html/template escapes them: nothing in them runs) and the
// command lines a release may apply.
type heldData struct {
	List     []ticket.HeldMail
	All      bool
	Mail     ticket.HeldMail
	Raw      string
	Commands []string
}

// maxHeldShown bounds the bytes of a held mail shown on its page.
const maxHeldShown = 256 << 10

func (s *Server) adminHeldMail(c *call) error {
	id, err := c.pathID()
	if err != nil {
		return err
	}
	var d heldData
	var raw []byte
	if d.Mail, raw, err = s.st.HeldRaw(c.r.Context(), c.prop.ID, id); err != nil {
		return err
	}
	if d.Commands, err = ingest.HeldCommands(raw); err != nil {
		return err
	}
	if len(raw) > maxHeldShown {
		raw = append(raw[:maxHeldShown:maxHeldShown], "\n[… cut: the mail is longer]"...)
	}
	d.Raw = strings.ToValidUTF8(string(raw), "\uFFFD")
	return c.renderAdmin("heldmail", d)
}

// adminRelease runs held mail through the gateway again (admins, as the
// desk decides), with its command lines applied if asked.
func (s *Server) adminRelease(c *call) error {
	id, err := c.pathID()
	if err != nil {
		return err
	}
	if s.held == nil {
		return errors.New("no pipeline to release held mail through")
	}
	withCommands := c.r.PostFormValue("with_commands") != ""
	_, err = s.desk.ReleaseHeld(c.r.Context(), c.prop, c.actor(), id, withCommands, s.held.ReleaseFunc(c.prop))
	if errors.Is(err, ingest.ErrHeldAgain) {
		return &pageError{http.StatusConflict, err.Error()}
	}
	if err != nil {
		return err
	}
	c.seeOther(c.adminPath("held/" + itoa(id)))
	return nil
}

func (s *Server) adminDiscard(c *call) error {
	id, err := c.pathID()
	if err != nil {
		return err
	}
	if err := s.desk.DiscardHeld(c.r.Context(), c.prop, c.actor(), id); err != nil {
		return err
	}
	c.seeOther(c.adminPath("held"))
	return nil
}

func (s *Server) adminSuppressions(c *call) error {
	l, err := s.st.Suppressions(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.renderAdmin("suppressions", l)
}

func (s *Server) adminClearSuppression(c *call) error {
	if err := s.desk.ClearSuppression(c.r.Context(), c.prop, c.actor(), c.r.PostFormValue("address")); err != nil {
		return err
	}
	c.seeOther(c.adminPath("suppressions"))
	return nil
}

// hookTypes lists the event types an endpoint may ask for.
func hookTypes() string {
	var l []string
	for _, t := range ticket.HookTypes() {
		l = append(l, string(t))
	}
	return strings.Join(l, ", ")
}
