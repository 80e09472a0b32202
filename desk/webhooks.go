package desk

import (
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
	w.Secret = "whsec_" + base64.StdEncoding.EncodeToString(key)
	if err := o.Tx.AddWebhook(&w); err != nil {
		return w, err
	}
	return w, o.audit("webhook added", fmt.Sprintf("%d %s (%s)", w.ID, w.URL, eventsText(w.Events)))
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

// eventsText shows an event filter.
func eventsText(events []string) string {
	if len(events) == 0 {
		return "every event"
	}
	return strings.Join(events, ",")
}
