package webapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/postdesk/postdesk/store"
)

// TestWebhookDisableRoute: an admin turns an endpoint off by hand through
// POST .../webhooks/{id}/disable (the desk's DisableWebhook, as the web
// inbox's button does) and on again through .../enable; an agent may not.
func TestWebhookDisableRoute(t *testing.T) {
	f := newFixture(t)
	base := fmt.Sprintf("/api/properties/acme/webhooks/%d", f.webhookID)

	f.json(f.agent, "POST", base+"/disable", nil, http.StatusForbidden, nil)
	var w store.Webhook
	f.json(f.admin, "POST", base+"/disable", nil, http.StatusOK, &w)
	if w.ID != f.webhookID || w.Enabled || w.DisabledReason != "disabled by boss@acme.test" {
		t.Errorf("POST %s/disable = %+v, want endpoint %d disabled by boss@acme.test", base, w, f.webhookID)
	}
	stored, err := f.st.Webhook(context.Background(), f.acme.ID, f.webhookID)
	if err != nil || stored.Enabled {
		t.Errorf("the stored endpoint after disable: %+v, %v; want disabled", stored, err)
	}
	var on store.Webhook
	f.json(f.admin, "POST", base+"/enable", nil, http.StatusOK, &on)
	if !on.Enabled || on.DisabledReason != "" {
		t.Errorf("POST %s/enable = %+v, want enabled again", base, on)
	}
}
