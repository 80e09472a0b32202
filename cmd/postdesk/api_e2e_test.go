package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/webapi"
)

// TestAPITokens: a token is shown once and kept hashed, answers as its
// member, and stops working when revoked; no token, a wrong one and a
// revoked one get 401 as problem details (RFC 9457).
func TestAPITokens(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	token := newToken(t, data, "alice@acme.test")
	api := apiClient{t: t, base: srv.apiURL(t), token: token}

	var props []struct {
		Property struct{ Slug string }
		Role     string
	}
	api.json("GET", "/api/properties", nil, http.StatusOK, &props)
	if len(props) != 1 || props[0].Property.Slug != "acme" {
		t.Fatalf("properties: %+v", props)
	}
	if raw, err := cliErr(data, "token", "list", "--json"); err != nil || strings.Contains(raw, token) {
		t.Errorf("token list shows the secret (or failed: %v):\n%s", err, raw)
	}
	cli(t, data, "token", "revoke", "1")
	for name, c := range map[string]apiClient{
		"no token": {t: t, base: api.base}, "unknown": {t: t, base: api.base, token: "pdk_nothing"}, "revoked": api,
	} {
		var p webapi.Problem
		resp := c.json("GET", "/api/properties", nil, http.StatusUnauthorized, &p)
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || p.Status != 401 || p.Detail == "" {
			t.Errorf("%s: %s %+v", name, ct, p)
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := (apiClient{t: t, base: api.base}).do("GET", path, nil); r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
}
