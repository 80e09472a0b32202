package threading

import (
	"strings"
	"testing"
)

func testKeys(t testing.TB) *Keys {
	t.Helper()
	k, err := NewKeys(2, map[uint8][]byte{1: []byte("old key, still verifying"), 2: []byte("current key of the tests")})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTokenRoundTrip(t *testing.T) {
	k := testKeys(t)
	for _, tok := range []Token{
		{Kind: KindContact, PropertyID: 1, TicketID: 1, ID: 1},
		{Kind: KindMember, PropertyID: 7, TicketID: 123456, ID: 99},
		{Kind: KindTicket, PropertyID: 1 << 40, TicketID: 1 << 50},
		{Kind: KindBounce, PropertyID: 3, TicketID: 4, ID: 1 << 33},
	} {
		s := k.Mint(tok)
		if s != strings.ToLower(s) {
			t.Errorf("Mint(%+v) = %q, want lower case", tok, s)
		}
		got, err := k.Verify(strings.ToUpper(s)) // a server folded the case
		tok.KeyID = 2
		if err != nil || got != tok {
			t.Errorf("Verify(Mint(%+v)) = %+v, %v", tok, got, err)
		}
	}
}

func TestTokenRejections(t *testing.T) {
	k := testKeys(t)
	good := k.Mint(Token{Kind: KindContact, PropertyID: 1, TicketID: 5, ID: 9})
	flip := []byte(good)
	flip[5] = map[byte]byte{'a': 'b'}[flip[5]] | 'c'
	other, _ := NewKeys(1, map[uint8][]byte{1: []byte("somebody else's key!!")})
	retired, _ := NewKeys(3, map[uint8][]byte{3: []byte("a third key, later on")})
	tests := []struct {
		name, token string
		keys        *Keys
		want        error
	}{
		{"tampered", string(flip), k, ErrBadMAC},
		{"truncated", good[:len(good)-3], k, ErrBadToken},
		{"too short", good[:8], k, ErrBadToken},
		{"not base32", "hello-world!", k, ErrBadToken},
		{"empty", "", k, ErrBadToken},
		{"other instance's key", other.Mint(Token{Kind: KindContact, PropertyID: 1, TicketID: 5, ID: 9}), k, ErrBadMAC},
		{"retired key", good, retired, ErrUnknownKey},
	}
	for _, tt := range tests {
		if _, err := tt.keys.Verify(tt.token); err != tt.want {
			t.Errorf("%s: Verify(%q) = %v, want %v", tt.name, tt.token, err, tt.want)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	old, _ := NewKeys(1, map[uint8][]byte{1: []byte("old key, still verifying")})
	tok := old.Mint(Token{Kind: KindContact, PropertyID: 1, TicketID: 2, ID: 3})
	if got, err := testKeys(t).Verify(tok); err != nil || got.KeyID != 1 {
		t.Errorf("a token of the previous key: %+v, %v; want it to verify with key 1", got, err)
	}
}

func TestReplyAddress(t *testing.T) {
	k := testKeys(t)
	tok := Token{Kind: KindContact, PropertyID: 12, TicketID: 3456, ID: 789}
	addr, err := k.ReplyAddress("support@acme.test", tok)
	if err != nil {
		t.Fatal(err)
	}
	local, _, _ := strings.Cut(addr, "@")
	if len(local) > 64 || !strings.HasPrefix(addr, "support+") || !strings.HasSuffix(addr, "@acme.test") {
		t.Fatalf("ReplyAddress = %q", addr)
	}
	piece := strings.TrimPrefix(local, "support+")
	for _, variant := range []string{addr, strings.ToUpper(addr), "<" + addr + ">", "support+" + piece + "+" + piece + "@acme.test", "support+junk+" + piece + "@acme.test"} {
		got, ok := k.TokenInAddress(variant)
		if !ok || got.TicketID != 3456 || got.ID != 789 {
			t.Errorf("TokenInAddress(%q) = %+v, %v", variant, got, ok)
		}
	}
	for _, bad := range []string{"support@acme.test", "support+@acme.test", "support+" + piece[:len(piece)-1] + "@acme.test", "nonsense"} {
		if got, ok := k.TokenInAddress(bad); ok {
			t.Errorf("TokenInAddress(%q) = %+v, want none", bad, got)
		}
	}
	if _, err := k.ReplyAddress(strings.Repeat("x", 40)+"@acme.test", tok); err == nil {
		t.Error("ReplyAddress accepted a local part over 64 octets")
	}
}

func TestMessageIDs(t *testing.T) {
	k := testKeys(t)
	tok := Token{Kind: KindMember, PropertyID: 1, TicketID: 8, ID: 2}
	id := k.MessageID(tok, "42", "acme.test")
	if got, ok := k.TokenInMessageID(id); !ok || got.TicketID != 8 {
		t.Errorf("TokenInMessageID(%q) = %+v, %v", id, got, ok)
	}
	ref := k.TicketReference(1, 8, "acme.test")
	if ref != k.TicketReference(1, 8, "acme.test") {
		t.Error("the ticket reference is not stable")
	}
	if got, ok := k.TokenInMessageID(ref); !ok || got.Kind != KindTicket || got.TicketID != 8 {
		t.Errorf("TokenInMessageID(ticket ref) = %+v, %v", got, ok)
	}
	for _, bad := range []string{"pd.abc@acme.test", "CAB1234@mail.gmail.com", "pd.@x", "", strings.Replace(ref, "pd.", "pd.a", 1)} {
		if got, ok := k.TokenInMessageID(bad); ok {
			t.Errorf("TokenInMessageID(%q) = %+v, want none", bad, got)
		}
	}
}

// FuzzVerify feeds arbitrary strings to the token decoder: it must never
// panic, and whatever verifies must mint back to the same token.
func FuzzVerify(f *testing.F) {
	k := testKeys(f)
	f.Add(k.Mint(Token{Kind: KindContact, PropertyID: 1, TicketID: 2, ID: 3}))
	f.Add("")
	f.Add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := k.Verify(s)
		if err != nil {
			return
		}
		if got, err := k.Verify(k.Mint(tok)); err != nil || got != tok {
			t.Errorf("verified %q as %+v, which does not round-trip", s, tok)
		}
		k.TokenInAddress("support+" + s + "@acme.test")
		k.TokenInMessageID("pd." + s + "@acme.test")
	})
}
