package desk

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestWebhookOps: the desk's webhook operations, which the API, the web
// inbox and the CLI call alike: an agent is refused each, an admin's new
// endpoint carries a secret of the Standard Webhooks form, and a test is
// sent only for an admin, through the sender given, to the property's
// own endpoint.
func TestWebhookOps(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	spec := WebhookSpec{URL: "https://hooks.example/p"}
	if _, err := f.d.AddWebhook(ctx, f.prop, f.as("bob"), spec); !errors.Is(err, ErrForbidden) {
		t.Fatalf("AddWebhook as an agent: %v, want ErrForbidden", err)
	}
	w, err := f.d.AddWebhook(ctx, f.prop, f.as("ann"), spec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Secret, ticket.WebhookSecretPrefix) || w.Secret != w.Webhook.Secret {
		t.Errorf("AddWebhook's secret %q (stored %q): want %s…", w.Secret, w.Webhook.Secret, ticket.WebhookSecretPrefix)
	}
	sent := 0
	send := func(_ context.Context, got store.Webhook, prop ticket.Property) (store.WebhookAttempt, error) {
		sent++
		if got.ID != w.ID || prop.ID != f.prop.ID {
			t.Errorf("sent to endpoint %d of property %d, want %d of %d", got.ID, prop.ID, w.ID, f.prop.ID)
		}
		return store.WebhookAttempt{Outcome: "delivered"}, nil
	}
	for _, c := range []struct {
		name string
		a    Actor
		send WebhookTestFunc
		want error
	}{
		{"agent", f.as("bob"), send, ErrForbidden},
		{"no sender", f.as("ann"), nil, ErrInvalid},
		{"admin", f.as("ann"), send, nil},
	} {
		if _, err := f.d.TestWebhook(ctx, f.prop, c.a, w.ID, c.send); !errors.Is(err, c.want) {
			t.Errorf("TestWebhook (%s): %v, want %v", c.name, err, c.want)
		}
	}
	if sent != 1 {
		t.Errorf("test events sent: %d, want 1 (the admin's)", sent)
	}
	if _, err := f.d.DisableWebhook(ctx, f.prop, f.as("bob"), w.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("DisableWebhook as an agent: %v, want ErrForbidden", err)
	}
	if off, err := f.d.DisableWebhook(ctx, f.prop, f.as("ann"), w.ID); err != nil || off.Enabled {
		t.Errorf("DisableWebhook: %+v, %v; want disabled", off, err)
	}
	if on, err := f.d.EnableWebhook(ctx, f.prop, f.as("ann"), w.ID); err != nil || !on.Enabled {
		t.Errorf("EnableWebhook: %+v, %v; want enabled", on, err)
	}
	if err := f.d.RemoveWebhook(ctx, f.prop, f.as("ann"), w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.TestWebhook(ctx, f.prop, f.as("ann"), w.ID, send); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TestWebhook of a removed endpoint: %v, want ErrNotFound", err)
	}
}
