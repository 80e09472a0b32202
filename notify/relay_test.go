package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// TestRelayCredentialsOnlyOverTLS: the password reaches the relay only over
// TLS, whatever the relay offers or however STARTTLS fails, unless tls=none
// is explicit; and the error says why no mail went.
func TestRelayCredentialsOnlyOverTLS(t *testing.T) {
	const pass = "s3cret-relay-pass"
	tests := []struct {
		name     string
		relay    smtptest.Options
		trust    bool   // the client trusts the relay's certificate
		query    string // URL parameters
		creds    bool
		wantErr  string // "" for success
		wantAuth int    // AUTH attempts the relay should see
		authTLS  bool   // and over TLS
	}{
		{"no STARTTLS offered", smtptest.Options{Auth: true}, false, "", true, ErrPlainAuth.Error(), 0, false},
		{"no STARTTLS, opportunistic spelled out", smtptest.Options{Auth: true}, false, "?tls=opportunistic", true, ErrPlainAuth.Error(), 0, false},
		{"STARTTLS fails (untrusted certificate)", smtptest.Options{Auth: true, STARTTLS: true}, false, "", true, "certificate", 0, false},
		{"STARTTLS fails, tls=required", smtptest.Options{Auth: true, STARTTLS: true}, false, "?tls=required", true, "certificate", 0, false},
		{"STARTTLS refused (454)", smtptest.Options{Auth: true, STARTTLS: true, RefuseSTARTTLS: true}, true, "", true, ErrPlainAuth.Error(), 0, false},
		{"STARTTLS refused, no credentials", smtptest.Options{STARTTLS: true, RefuseSTARTTLS: true}, true, "", false, "454", 0, false},
		{"STARTTLS works", smtptest.Options{Auth: true, STARTTLS: true}, true, "", true, "", 1, true},
		{"tls=none is explicit", smtptest.Options{Auth: true, STARTTLS: true}, true, "?tls=none", true, "", 1, false},
		{"no credentials, no STARTTLS", smtptest.Options{}, false, "", false, "", 0, false},
		{"no credentials, STARTTLS offered", smtptest.Options{STARTTLS: true}, true, "", false, "", 0, false},
		{"no credentials, STARTTLS broken", smtptest.Options{STARTTLS: true}, false, "", false, "certificate", 0, false},
		{"tls=required, not offered", smtptest.Options{}, false, "?tls=required", false, "STARTTLS", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			relay := smtptest.StartWith(t, tt.relay)
			url := "smtp://" + relay.Addr + tt.query
			if tt.creds {
				url = "smtp://relayuser:" + pass + "@" + relay.Addr + tt.query
			}
			tr, err := ParseRelay(url, "test.local")
			if err != nil {
				t.Fatal(err)
			}
			if tt.trust {
				tr.tlsConfig.RootCAs = relay.CertPool()
			}
			snd := tr.Open()
			err = snd.Send(context.Background(), "b@acme.test", []string{"carol@example.com"}, []byte("Subject: x\r\n\r\nconfidential body\r\n"))
			snd.Close()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Send: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Send error = %v, want one saying %q", err, tt.wantErr)
			}
			if tt.wantErr == ErrPlainAuth.Error() && !errors.Is(err, ErrPlainAuth) {
				t.Errorf("error %v is not ErrPlainAuth", err)
			}
			auths := relay.Auths()
			if len(auths) != tt.wantAuth {
				t.Fatalf("relay saw %d AUTH, want %d: %+v", len(auths), tt.wantAuth, auths)
			}
			for _, a := range auths {
				if a.TLS != tt.authTLS || a.Password != pass {
					t.Errorf("AUTH %+v, want TLS=%v with the password", a, tt.authTLS)
				}
			}
			wire := relay.Wire()
			plain := base64.StdEncoding.EncodeToString([]byte("\x00relayuser\x00" + pass))
			leaked := bytes.Contains(wire, []byte(pass)) || bytes.Contains(wire, []byte(plain))
			if leaked != (tt.wantAuth > 0 && !tt.authTLS) {
				t.Errorf("password in clear on the wire: %v, want %v", leaked, tt.wantAuth > 0 && !tt.authTLS)
			}
			if tt.relay.STARTTLS && tt.trust && tt.query == "" && bytes.Contains(wire, []byte("confidential body")) {
				t.Errorf("the mail crossed in clear though STARTTLS was offered and works")
			}
		})
	}
}
