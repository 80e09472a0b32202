package threading

import (
	"reflect"
	"strings"
	"testing"
)

// TestUsableIDs runs In-Reply-To and References values as real mail writes
// them through the parser and UsableID: only RFC 5322 §3.6.4 msg-ids with
// both sides of the "@" may thread.
func TestUsableIDs(t *testing.T) {
	tests := []struct {
		header  string
		usable  []string
		ignored []string
	}{
		{"<yes>", nil, []string{"yes"}}, // git-send-email, prompt answered "yes"
		{"<y>", nil, []string{"y"}},
		{"<YES>", nil, []string{"YES"}},
		{"<1>", nil, []string{"1"}},
		{"<>", nil, nil},
		{"< >", nil, nil},
		{"<a b@example.com>", nil, nil},
		{"<@example.com>", nil, []string{"@example.com"}},
		{"<local@>", nil, []string{"local@"}},
		{"<@>", nil, []string{"@"}},
		{"yes", nil, nil},
		{"<20231004120000.12345-1-dev@example.org>", []string{"20231004120000.12345-1-dev@example.org"}, nil},
		{"<CAF=x+y_Z@mail.gmail.com>", []string{"CAF=x+y_Z@mail.gmail.com"}, nil},
		{"<yes> <20231004120000.12345-1-dev@example.org>", []string{"20231004120000.12345-1-dev@example.org"}, []string{"yes"}},
		{"<\"quoted local\"@example.com>", nil, nil},
		{"<AM0PR01MB1234.eurprd01.prod.exchangelabs.com@AM0PR01MB1234>", []string{"AM0PR01MB1234.eurprd01.prod.exchangelabs.com@AM0PR01MB1234"}, nil},
	}
	for _, tt := range tests {
		usable, ignored := SplitUsable(ParseIDList(tt.header))
		if !reflect.DeepEqual(usable, tt.usable) || !reflect.DeepEqual(ignored, tt.ignored) {
			t.Errorf("SplitUsable(ParseIDList(%q)) = %q, %q; want %q, %q", tt.header, usable, ignored, tt.usable, tt.ignored)
		}
	}
}

// FuzzUsableIDs: whatever a header holds, an id that may thread has both
// sides of an "@" and no white space, control character or bracket.
func FuzzUsableIDs(f *testing.F) {
	for _, s := range []string{"<yes>", "<a@b> <c@d>", "<@x>", "<x@>", "a@b", "<a b@c>", "<\x00@x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		usable, _ := SplitUsable(ParseIDList(header))
		for _, id := range usable {
			at := strings.LastIndexByte(id, '@')
			if at <= 0 || at == len(id)-1 || strings.ContainsAny(id, " \t\r\n<>") {
				t.Fatalf("usable id %q from %q", id, header)
			}
		}
	})
}
