package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// TestAPIHeldReleaseAndTeam runs the real gateway: a reply forging the
// admin's From is held; an agent's token may read it but not release it
// (the desk's rule, as on the command line); the admin's release posts it
// into the ticket and the customer gets it. A member added over the API is
// one the CLI lists, added by the admin in the audit log.
func TestAPIHeldReleaseAndTeam(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Late parcel\r\nMessage-ID: <carol-p@example.com>\r\n\r\nWhere is it?\r\n")
	relay.WaitFor(t, "carol@example.com", 1) // the ack
	mustSend(t, srv.addr, "boss@acme.test", []string{"support@acme.test"},
		"From: boss@acme.test\r\nTo: support@acme.test\r\nSubject: Re: Late parcel\r\nIn-Reply-To: <carol-p@example.com>\r\nMessage-ID: <forged-1@acme.test>\r\n\r\nIt is on its way.\r\n")
	base := srv.apiURL(t)
	agent := apiClient{t: t, base: base, token: newToken(t, data, "alice@acme.test")}
	boss := apiClient{t: t, base: base, token: newToken(t, data, "boss@acme.test")}

	var held []ticket.HeldMail
	agent.json("GET", "/api/properties/acme/held", nil, http.StatusOK, &held)
	if len(held) != 1 || held[0].Sender != "boss@acme.test" {
		t.Fatalf("held = %+v, want the forged reply", held)
	}
	path := "/api/properties/acme/held/" + itoa64(held[0].ID)
	if r := agent.do("GET", path+"/raw", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "It is on its way.") {
		t.Errorf("raw: %d %s", r.Status, r.Body)
	}
	agent.json("POST", path+"/release", map[string]any{}, http.StatusForbidden, nil)
	var rel struct {
		Held   ticket.HeldMail `json:"held"`
		Ticket int64           `json:"ticket"`
	}
	boss.json("POST", path+"/release", map[string]any{}, http.StatusOK, &rel)
	if rel.Ticket != 1 || rel.Held.ResolvedBy != "boss@acme.test" {
		t.Errorf("release = %+v", rel)
	}
	if got := relay.WaitFor(t, "carol@example.com", 2)[1]; !strings.Contains(got.Body(), "It is on its way.") {
		t.Errorf("carol got %q, want the released answer", got.Body())
	}

	agent.json("POST", "/api/properties/acme/members", map[string]any{"email": "dan@acme.test"}, http.StatusForbidden, nil)
	boss.json("POST", "/api/properties/acme/members", map[string]any{"email": "dan@acme.test", "name": "Dan"}, http.StatusCreated, nil)
	if out := cli(t, data, "member", "list"); !strings.Contains(out, "dan@acme.test") {
		t.Errorf("member list after the API's add:\n%s", out)
	}
	if out := cli(t, data, "audit", "list"); !regexp.MustCompile(`boss@acme.test +member added +dan@acme.test`).MatchString(out) {
		t.Errorf("audit list:\n%s", out)
	}
}
