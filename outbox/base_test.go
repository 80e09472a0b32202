package outbox

import "testing"

// TestBaseAddress: the variants of one address count as one against the
// acknowledgement and new-ticket limits.
func TestBaseAddress(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"dan@example.com", "dan@example.com"},
		{"DAN@EXAMPLE.COM", "dan@example.com"},
		{" dan+1@example.com ", "dan@example.com"},
		{"dan+a+b@example.com", "dan@example.com"},
		{"dan@example.com.", "dan@example.com"},
		{"Dan+x@Example.Com.", "dan@example.com"},
		{"+x@example.com", "+x@example.com"},
		{"dan@[127.0.0.1]", "dan@[127.0.0.1]"},
		{"nodomain", "nodomain"},
	} {
		if got := BaseAddress(tt.in); got != tt.want {
			t.Errorf("BaseAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
