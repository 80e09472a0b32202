package threading

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseIDList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<a@x> <b@y>", []string{"a@x", "b@y"}},
		{"<a@x>\r\n\t<b@y>", []string{"a@x", "b@y"}},
		{"<a@x>,<b@y>", []string{"a@x", "b@y"}},
		{"(comment) <a@x> (another)", []string{"a@x"}},
		{"a@x b@y", []string{"a@x", "b@y"}},
		{"<a@x> <a@x>", []string{"a@x"}},
		{"<unclosed@x", []string{"unclosed@x"}},
		{"<>", nil},
		{"", nil},
		{"no ids here", nil},
		{"<with space@x>", nil},
	}
	for _, tt := range tests {
		if got := ParseIDList(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseIDList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var many string
	for i := 0; i < 100; i++ {
		many += "<" + strings.Repeat("z", i%5+1) + strconv.Itoa(i) + "@h> "
	}
	if got := ParseIDList(many); len(got) != MaxReferences || got[len(got)-1] != "zzzzz99@h" {
		t.Errorf("100 references: kept %d, last %q; want the newest %d", len(got), got[len(got)-1], MaxReferences)
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0)) + string(rune('0'+i/10)) + string(rune('0'+i%10))
}

func TestBaseSubject(t *testing.T) {
	tests := map[string]string{
		"Re: Hello":                     "Hello",
		"RE: AW: SV: VS: Hello":         "Hello",
		"Re[3]: Hello":                  "Hello",
		"Re(2): Hello":                  "Hello",
		"Fwd: Re: Hello [#4]":           "Hello [#4]",
		"Aw:Hello":                      "Hello",
		"Return of the order":           "Return of the order",
		"Sv: Vs: Réponse":               "Réponse",
		"  re :  spaced  ":              "spaced",
		"Tr: Ref: Odp: Antw: WG: hello": "hello",
	}
	for in, want := range tests {
		if got := BaseSubject(in); got != want {
			t.Errorf("BaseSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTagParser(t *testing.T) {
	tests := []struct {
		format, subject string
		want            int64
		ok              bool
	}{
		{"[#%d]", "Re: Where is it? [#42]", 42, true},
		{"[#%d]", "[#7] first", 7, true},
		{"[#%d]", "[# 7 ] spaced", 7, true},
		{"[#%d]", "no tag #7", 0, false},
		{"[#%d]", "[#0]", 0, false},
		{"[#%d]", "[#99999999999999999999999]", 0, false},
		{"(Acme %d)", "RE: (acme 12) hi", 12, true},
		{"[Ticket#%d]", "[#12]", 0, false},
	}
	for _, tt := range tests {
		p, err := NewTagParser(tt.format)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Find(tt.subject)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Find(%q, %q) = %d, %v; want %d, %v", tt.format, tt.subject, got, ok, tt.want, tt.ok)
		}
	}
	if _, err := NewTagParser("[#]"); err == nil {
		t.Error("a format without the number verb was accepted")
	}
	if Tag("[#%d]", 42) != "[#42]" {
		t.Errorf("Tag = %q", Tag("[#%d]", 42))
	}
}

func TestAutomatic(t *testing.T) {
	tests := []struct {
		name    string
		header  map[string][]string
		envFrom string
		from    string
		want    bool
	}{
		{"person", map[string][]string{"Subject": {"hi"}}, "bob@x", "bob@x", false},
		{"auto-submitted no", map[string][]string{"Auto-Submitted": {"no"}}, "bob@x", "bob@x", false},
		{"out of office", map[string][]string{"Auto-Submitted": {"auto-replied"}}, "bob@x", "bob@x", true},
		{"bulk", map[string][]string{"Precedence": {"Bulk"}}, "bob@x", "bob@x", true},
		{"exchange", map[string][]string{"X-Auto-Response-Suppress": {"All"}}, "bob@x", "bob@x", true},
		{"null sender", nil, "", "bob@x", true},
		{"mailer-daemon", nil, "MAILER-DAEMON@x", "MAILER-DAEMON@x", true},
		{"postmaster", nil, "bounces@x", "postmaster@x", true},
		{"list", map[string][]string{"List-Id": {"<l.x>"}, "List-Unsubscribe": {"<mailto:u@x>"}}, "l@x", "l@x", true},
		{"list-id alone", map[string][]string{"List-Id": {"<l.x>"}}, "l@x", "l@x", false},
	}
	for _, tt := range tests {
		if got, why := Automatic(tt.header, tt.envFrom, tt.from); got != tt.want {
			t.Errorf("%s: Automatic = %v (%s), want %v", tt.name, got, why, tt.want)
		}
	}
}

// FuzzParseIDList: never panics, and returns only clean identifiers. The
// seeds include every Message-ID, In-Reply-To and References header of the
// shared corpora, when present.
func FuzzParseIDList(f *testing.F) {
	for _, s := range []string{"<a@x> <b@y>", "<unclosed", "a@b, c@d", "<<>>", "<\x00@x>"} {
		f.Add(s)
	}
	for _, h := range corpusIDHeaders() {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, id := range ParseIDList(s) {
			if id == "" || len(id) > MaxIDLength || strings.ContainsAny(id, " \t\r\n<>") {
				t.Errorf("ParseIDList(%q) returned %q", s, id)
			}
		}
		BaseSubject(s)
	})
}

// corpusIDHeaders returns the identifier headers of ../shared/corpora.
func corpusIDHeaders() []string {
	var out []string
	filepath.WalkDir("../../shared/corpora", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, line := range strings.Split(string(b), "\n") {
			lower := strings.ToLower(line)
			if strings.HasPrefix(lower, "message-id:") || strings.HasPrefix(lower, "in-reply-to:") || strings.HasPrefix(lower, "references:") {
				_, v, _ := strings.Cut(line, ":")
				out = append(out, v)
			}
		}
		return nil
	})
	return out
}
