package web

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzInboxQuery: any query string either is refused or reads as a state
// whose own URL reads back as the same state (the links of the page keep
// what it shows).
func FuzzInboxQuery(f *testing.F) {
	for _, s := range []string{"", "folder=closed&view=mine", "q=caf%C3%A9+n%C3%A3o&tag=vip&overdue=1&sort=due",
		"cursor=YWN0aXZpdHk6MTox&back=a,b", "folder=all", "priority=HIGH&department=Fill+1", "overdue=yes", "view=x&view=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		iq, err := parseInboxQuery(v)
		if err != nil {
			return
		}
		u := iq.url("acme", nil)
		_, rawq, _ := strings.Cut(u, "?")
		v2, err := url.ParseQuery(rawq)
		if err != nil {
			t.Fatalf("url %q of %q does not parse: %v", u, raw, err)
		}
		again, err := parseInboxQuery(v2)
		if err != nil {
			t.Fatalf("url %q of %q is refused: %v", u, raw, err)
		}
		if iq.Sort == "activity" {
			iq.Sort = ""
		}
		if !reflect.DeepEqual(again, iq) {
			t.Fatalf("%q reads as %+v; its url %q reads as %+v", raw, iq, u, again)
		}
	})
}
