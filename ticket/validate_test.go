package ticket

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, want string // want "" means refused
	}{
		{"alice@acme.test", "alice@acme.test"},
		{"  Alice.Smith+tag@Acme.Test ", "Alice.Smith+tag@Acme.Test"},
		{"notanemail", ""},
		{"Display <d@x.test>", ""},
		{"<d@x.test>", ""},
		{"not an address", ""},
		{`"not an address"@x.test`, ""},
		{"a@", ""},
		{"@x.test", ""},
		{"a@b@x.test", ""},
		{"a@[192.0.2.1]", ""},
		{"a@-x.test", ""},
		{"a@x..test", ""},
		{"a@x_y.test", ""},
		{strings.Repeat("l", 65) + "@x.test", ""},
		{"a@" + strings.Repeat(strings.Repeat("d", 60)+".", 5) + "test", ""}, // over 254 octets
		{"a@bücher.example", "a@bücher.example"},
		{"a\r\nb@x.test", ""},
		{"a@example.com\rx", ""},
		{"\x1b[2J\x1b]0;owned\x07evil@evil.test", ""},
		{"a\u0085b@x.test", ""},
		{"a\u00a0b@x.test", ""},
		{"bob@x.test> notify=never orcpt=rfc822;z@evil.test", ""},
		{"a b@evil.test", ""},
		{"dan@example.com.", ""},
		{"dan@[127.0.0.1]", ""},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseAddress("notanemail"); err == nil || !strings.HasPrefix(err.Error(), `"notanemail" is not an email address`) {
		t.Errorf("error = %v, want it to start with the address and say it is not one", err)
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"alice@acme.test", "Display <d@x>", `"q"@x`, "a@b.c", "x@[1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		if len(a) > MaxAddressLen || strings.ContainsAny(a, " <>\"\r\n") || strings.Count(a, "@") != 1 {
			t.Fatalf("ParseAddress(%q) accepted %q", s, a)
		}
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
			t.Fatalf("ParseAddress(%q) = %q, which net/mail reads as %v, %v", s, a, p, err)
		}
	})
}

func TestPropertyValidate(t *testing.T) {
	good := Property{Slug: "acme", Name: "Acme Support", Addresses: []string{"support@acme.test"}}.WithDefaults()
	if err := good.Validate(); err != nil {
		t.Fatalf("valid property: %v", err)
	}
	bad := good
	bad.Slug, bad.Name = "Acme Inc", strings.Repeat("n", 10000)
	bad.Addresses = []string{"Display <d@x.test>", "support@acme.test", "SUPPORT@acme.test"}
	bad.FromAddress, bad.TagFormat = "not an address", "[%d/%d]"
	err := bad.Validate()
	fields := map[string]bool{}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a FieldError", e)
		}
		fields[fe.Field] = true
	}
	for _, f := range []string{"slug", "name", "address", "from-address", "tag-format"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, err)
		}
	}
	if m := (Member{Email: "notanemail", Name: strings.Repeat("n", 101), Role: "boss"}).Validate(); m == nil || strings.Count(m.Error(), "\n") != 2 {
		t.Errorf("member errors = %v, want three", m)
	}
}
