package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"não", 2, "n"}, // ã is two bytes: not cut in half
		{"não", 3, "nã"},
		{"", 0, ""},
	} {
		if got := clip(tc.s, tc.n); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
	long := strings.Repeat("é", maxHookBody)
	if got := clip(long, maxHookBody); len(got) > maxHookBody || !utf8.ValidString(got) {
		t.Errorf("clip of %d bytes: %d bytes, valid %v", len(long), len(got), utf8.ValidString(got))
	}
}
