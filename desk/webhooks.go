package desk

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Limits of a webhook's settings.
const (
	maxWebhookURL  = 2000
	maxWebhookDesc = 200
	// webhookSecretBytes is the size of a signing key: 32 random bytes,
	// above the Standard Webhooks specification's minimum of 24.
	webhookSecretBytes = 32
)

// WebhookSpec is a new webhook endpoint.
type WebhookSpec struct {
	URL         string   `json:"url"`
	Events      []string `json:"events,omitempty"` // empty: every type
	Description string   `json:"description,omitempty"`
}

// WebhookCreated is a new endpoint with its signing secret, shown this
// once: what adding one answers (the API, `postdesk webhook add --json`).
type WebhookCreated struct {
	store.Webhook
	Secret string `json:"secret"`
}

// WebhookTestFunc sends a signed test event to endpoint w of prop and
// answers what came of it: (*hook.Sender).Test, which the desk cannot
// import (hook's tests use the desk).
type WebhookTestFunc func(ctx context.Context, w store.Webhook, prop ticket.Property) (store.WebhookAttempt, error)

// AddWebhook adds an endpoint to prop as actor a (Op.AddWebhook, in a
// transaction of its own).
func (d *Desk) AddWebhook(ctx context.Context, prop ticket.Property, a Actor, spec WebhookSpec) (WebhookCreated, error) {
	var w store.Webhook
	err := d.Run(ctx, prop, a, func(o *Op) (err error) {
		w, err = o.AddWebhook(spec)
		return err
	})
	return WebhookCreated{Webhook: w, Secret: w.Secret}, err
}

// RemoveWebhook removes prop's endpoint id as actor a (Op.RemoveWebhook).
func (d *Desk) RemoveWebhook(ctx context.Context, prop ticket.Property, a Actor, id int64) error {
	return d.Run(ctx, prop, a, func(o *Op) error { return o.RemoveWebhook(id) })
}

// EnableWebhook turns prop's endpoint id on as actor a (Op.EnableWebhook).
func (d *Desk) EnableWebhook(ctx context.Context, prop ticket.Property, a Actor, id int64) (w store.Webhook, err error) {
	err = d.Run(ctx, prop, a, func(o *Op) (err error) {
		w, err = o.EnableWebhook(id)
		return err
	})
	return w, err
}

// DisableWebhook turns prop's endpoint id off as actor a
// (Op.DisableWebhook).
func (d *Desk) DisableWebhook(ctx context.Context, prop ticket.Property, a Actor, id int64) (w store.Webhook, err error) {
	err = d.Run(ctx, prop, a, func(o *Op) (err error) {
		w, err = o.DisableWebhook(id)
		return err
	})
	return w, err
}

// TestWebhook sends a signed test event to prop's endpoint id through
// send and answers what came of it. Only admins may: it makes the gateway
// call out. A nil send (a server without a webhook sender) is refused.
func (d *Desk) TestWebhook(ctx context.Context, prop ticket.Property, a Actor, id int64, send WebhookTestFunc) (store.WebhookAttempt, error) {
	if err := a.check(prop); err != nil {
		return store.WebhookAttempt{}, err
	}
	if err := a.admin("test a webhook"); err != nil {
		return store.WebhookAttempt{}, err
	}
	if send == nil {
		return store.WebhookAttempt{}, invalid("this server sends no webhooks")
	}
	w, err := d.st.Webhook(ctx, prop.ID, id)
	if err != nil {
		return store.WebhookAttempt{}, err
	}
	return send(ctx, w, prop)
}

// AddWebhook adds an endpoint to the property, with a new signing secret
// ("whsec_" and base64 of 32 random bytes: the Standard Webhooks form),
// returned in the Webhook this once. Only admins may.
func (o *Op) AddWebhook(spec WebhookSpec) (store.Webhook, error) {
	if err := o.Actor.admin("add a webhook"); err != nil {
		return store.Webhook{}, err
	}
	w := store.Webhook{PropertyID: o.Prop().ID, CreatedBy: o.Actor.String(),
		Description: strings.TrimSpace(spec.Description)}
	var err error
	if w.URL, err = webhookURL(spec.URL); err != nil {
		return w, err
	}
	if w.Events, err = webhookEvents(spec.Events); err != nil {
		return w, err
	}
	if len([]rune(w.Description)) > maxWebhookDesc {
		return w, invalid("a webhook's description is at most %d characters", maxWebhookDesc)
	}
	key := make([]byte, webhookSecretBytes)
	rand.Read(key) // never fails (crypto/rand)
	w.Secret = ticket.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key)
	if err := o.Tx.AddWebhook(&w); err != nil {
		return w, err
	}
	return w, o.audit("webhook added", fmt.Sprintf("%d %s (%s)", w.ID, w.URL, EventsText(w.Events)))
}

// RemoveWebhook deletes an endpoint, what is queued for it and its
// delivery log. Only admins may.
func (o *Op) RemoveWebhook(id int64) error {
	if err := o.Actor.admin("remove a webhook"); err != nil {
		return err
	}
	w, err := o.Tx.Webhook(o.Prop().ID, id)
	if err != nil {
		return err
	}
	if err := o.Tx.RemoveWebhook(o.Prop().ID, id); err != nil {
		return err
	}
	return o.audit("webhook removed", fmt.Sprintf("%d %s", w.ID, w.URL))
}

// EnableWebhook turns an endpoint on again after it was disabled; events
// from now on are sent to it. Only admins may.
func (o *Op) EnableWebhook(id int64) (store.Webhook, error) {
	if err := o.Actor.admin("enable a webhook"); err != nil {
		return store.Webhook{}, err
	}
	if err := o.Tx.EnableWebhook(o.Prop().ID, id); err != nil {
		return store.Webhook{}, err
	}
	w, err := o.Tx.Webhook(o.Prop().ID, id)
	if err != nil {
		return w, err
	}
	return w, o.audit("webhook enabled", fmt.Sprintf("%d %s", w.ID, w.URL))
}

// DisableWebhook turns an endpoint off by hand: nothing more is sent to
// it, its queued deliveries fail, and nothing is queued for it until it
// is enabled again. Only admins may.
func (o *Op) DisableWebhook(id int64) (store.Webhook, error) {
	if err := o.Actor.admin("disable a webhook"); err != nil {
		return store.Webhook{}, err
	}
	w, err := o.Tx.Webhook(o.Prop().ID, id) // the property's own, else not found
	if err != nil {
		return w, err
	}
	reason := "disabled by " + o.Actor.String()
	if err := o.Tx.DisableWebhook(w.ID, reason); err != nil {
		return w, err
	}
	w.Enabled, w.DisabledReason = false, reason // what DisableWebhook wrote
	return w, o.audit("webhook disabled", fmt.Sprintf("%d %s", w.ID, w.URL))
}

// webhookURL validates an endpoint's URL: absolute http or https, with a
// host, no user information (a password would be stored and logged).
func webhookURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "", invalid("a webhook needs a URL")
	case len(s) > maxWebhookURL:
		return "", invalid("a webhook's URL is at most %d characters", maxWebhookURL)
	case err != nil:
		return "", invalid("webhook URL %q: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", invalid("webhook URL %q: want http:// or https://", s)
	case u.Host == "":
		return "", invalid("webhook URL %q: no host", s)
	case u.User != nil:
		return "", invalid("webhook URL %q: no user or password in it, please (requests are signed)", s)
	}
	return u.String(), nil
}

// webhookEvents validates an endpoint's event filter, without repeats.
func webhookEvents(in []string) ([]string, error) {
	out := []string{}
	seen := map[ticket.HookType]bool{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		h, err := ticket.ParseHookType(s)
		if err != nil {
			return nil, invalid("%v", err)
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, string(h))
		}
	}
	return out, nil
}

// EventsText shows an endpoint's event filter: its types, or "every
// event".
func EventsText(events []string) string {
	if len(events) == 0 {
		return "every event"
	}
	return strings.Join(events, ",")
}
