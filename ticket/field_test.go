package ticket

import (
	"testing"
)

func TestFieldValue(t *testing.T) {
	choice := Field{Name: "plan", Type: FieldChoice, Choices: []string{"Gold", "Silver"}}
	tests := []struct {
		f       Field
		in      string
		want    string
		wantErr bool
	}{
		{Field{Name: "n", Type: FieldText}, "  hello  ", "hello", false},
		{Field{Name: "n", Type: FieldText}, "two\nlines", "", true},
		{Field{Name: "n", Type: FieldNumber}, "1.50", "1.5", false},
		{Field{Name: "n", Type: FieldNumber}, "-3", "-3", false},
		{Field{Name: "n", Type: FieldNumber}, "1e3", "1000", false},
		{Field{Name: "n", Type: FieldNumber}, "abc", "", true},
		{Field{Name: "n", Type: FieldNumber}, "NaN", "", true},
		{Field{Name: "n", Type: FieldNumber}, "Inf", "", true},
		{Field{Name: "n", Type: FieldNumber}, "0x10", "", true},
		{Field{Name: "d", Type: FieldDate}, "2026-11-21", "2026-11-21", false},
		{Field{Name: "d", Type: FieldDate}, "2026-02-30", "", true},
		{Field{Name: "d", Type: FieldDate}, "21/11/2026", "", true},
		{choice, "gold", "Gold", false},
		{choice, "Bronze", "", true},
		{choice, "", "", false}, // empty clears, whatever the type
		{Field{Name: "n", Type: FieldNumber}, "   ", "", false},
		{Field{Name: "n", Type: FieldText}, "red \x1b[31mALERT\x1b[0m", "", true}, // a terminal escape
		{Field{Name: "n", Type: FieldText}, "bell\a", "", true},
		{Field{Name: "n", Type: FieldText}, "tab\there", "", true},
		{Field{Name: "n", Type: FieldText}, "\x85next line", "", true}, // NEL (C1)
		{Field{Name: "n", Type: FieldText}, "bad \xff UTF-8", "", true},
		{Field{Name: "n", Type: FieldText}, "Ünïcödé ok", "Ünïcödé ok", false},
	}
	for _, tt := range tests {
		got, err := tt.f.Value(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s field Value(%q) = %q, %v; want %q, error %v", tt.f.Type, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFieldValidate(t *testing.T) {
	tests := []struct {
		f  Field
		ok bool
	}{
		{Field{Name: "plan", For: FieldForTicket, Type: FieldText}, true},
		{Field{Name: "order_no-2", For: FieldForContact, Type: FieldNumber}, true},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldChoice, Choices: []string{"a", "b"}}, true},
		{Field{Name: "", For: FieldForTicket, Type: FieldText}, false},
		{Field{Name: "a=b", For: FieldForTicket, Type: FieldText}, false},
		{Field{Name: "plan", For: "order", Type: FieldText}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: "color"}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldChoice}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldText, Choices: []string{"a"}}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldChoice, Choices: []string{"a", "a"}}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldChoice, Choices: []string{" "}}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldChoice, Choices: []string{"gold\x1b[2J"}}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldChoice, Choices: []string{"a\x00"}}, false},
		{Field{Name: "plan", For: FieldForTicket, Type: FieldChoice, Choices: []string{"\xff"}}, false},
	}
	for _, tt := range tests {
		if err := tt.f.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tt.f, err, tt.ok)
		}
	}
}

// FuzzFieldValue: a value that is accepted is canonical: accepted again
// unchanged, one line, within the limit.
func FuzzFieldValue(f *testing.F) {
	for _, s := range []string{"1.50", "2026-11-21", "gold", "", "1e308", "-0", " x "} {
		f.Add(s)
	}
	fields := []Field{
		{Name: "t", Type: FieldText}, {Name: "n", Type: FieldNumber}, {Name: "d", Type: FieldDate},
		{Name: "c", Type: FieldChoice, Choices: []string{"Gold", "Silver"}},
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range fields {
			v, err := fd.Value(s)
			if err != nil {
				continue
			}
			again, err := fd.Value(v)
			if err != nil || again != v {
				t.Errorf("%s: Value(%q) = %q, but Value(%q) = %q, %v", fd.Type, s, v, v, again, err)
			}
			if len(v) > MaxFieldValue {
				t.Errorf("%s: Value(%q) is %d bytes", fd.Type, s, len(v))
			}
		}
	})
}
