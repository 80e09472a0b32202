package threading

import "testing"

func TestCheckTagFormat(t *testing.T) {
	tests := []struct {
		format string
		ok     bool
	}{
		{"[#%d]", true},
		{"#%d", true},
		{"[ACME-%d]", true},
		{"(Ticket %d)", true},
		{"[%d/%d]", false}, // two numbers: the parser cannot read it
		{"[#%s]", false},
		{"[%d%%]", false},
		{"%d", false}, // any number in a subject would be a tag
		{"  %d ", false},
		{"[#%d]\r\nBcc: x", false},
		{"[#%d] with a tag format far too long to be sane", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := CheckTagFormat(tt.format); (err == nil) != tt.ok {
			t.Errorf("CheckTagFormat(%q) = %v, want ok %v", tt.format, err, tt.ok)
		}
	}
}
