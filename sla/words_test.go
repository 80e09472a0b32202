package sla

import (
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TestWordsPolicy: the words of `sla set` and of the web form read as the
// policy they say, every problem reported at once, and a policy written
// back in words reads as itself.
func TestWordsPolicy(t *testing.T) {
	for _, tt := range []struct {
		name string
		w    Words
		want []string // parts of the error; none: valid
	}{
		{"targets", Words{FirstResponse: []string{"high=1h, low=2d"}, Resolution: []string{"high=8h"}}, nil},
		{"hours", Words{FirstResponse: []string{"high=1h"}, Hours: []string{"mon-fri 09:00-17:00"}, Zone: "Europe/Berlin", Holidays: []string{"2026-12-25"}}, nil},
		{"nothing", Words{}, []string{"give targets"}},
		{"every problem", Words{FirstResponse: []string{"high", "critical=1h"}, Resolution: []string{"low=soon"}, Hours: []string{"mon-fri 09:00-17:00"}},
			[]string{"--first-response high:", "--first-response critical=1h:", "--resolution low=soon:", "--time-zone"}},
		{"zone without hours", Words{FirstResponse: []string{"high=1h"}, Zone: "Europe/Berlin"}, []string{"go with --hours"}},
	} {
		p, err := tt.w.Policy()
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%s: Policy() = %v", tt.name, err)
				continue
			}
			again, err := p.Words().Policy()
			if err != nil || again.Words().FirstResponse == nil || strings.Join(again.Words().FirstResponse, ",") != strings.Join(p.Words().FirstResponse, ",") {
				t.Errorf("%s: written back %+v reads %+v, %v", tt.name, p.Words(), again, err)
			}
			continue
		}
		for _, part := range tt.want {
			if err == nil || !strings.Contains(err.Error(), part) {
				t.Errorf("%s: Policy() = %v, want an error with %q", tt.name, err, part)
			}
		}
	}
	p, err := Words{FirstResponse: []string{"high=90m"}}.Policy()
	if err != nil || p.Targets[ticket.PriorityHigh].FirstResponse != Duration(90*time.Minute) {
		t.Errorf("high=90m: %+v, %v", p, err)
	}
}
