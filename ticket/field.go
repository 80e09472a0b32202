package ticket

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldTarget says what a custom field describes.
type FieldTarget string

// The things a custom field can describe.
const (
	FieldForTicket  FieldTarget = "ticket"
	FieldForContact FieldTarget = "contact"
)

// ParseFieldTarget validates s as a FieldTarget.
func ParseFieldTarget(s string) (FieldTarget, error) {
	if t, ok := oneOf(s, FieldForTicket, FieldForContact); ok {
		return t, nil
	}
	return "", fmt.Errorf("custom fields are for a ticket or a contact, not %q", s)
}

// FieldType is the kind of value a custom field holds.
type FieldType string

// The types of custom field.
const (
	FieldText   FieldType = "text"
	FieldNumber FieldType = "number"
	FieldDate   FieldType = "date"   // a calendar date, YYYY-MM-DD
	FieldChoice FieldType = "choice" // one of the field's choices
)

// ParseFieldType validates s as a FieldType.
func ParseFieldType(s string) (FieldType, error) {
	if t, ok := oneOf(s, FieldText, FieldNumber, FieldDate, FieldChoice); ok {
		return t, nil
	}
	return "", fmt.Errorf("unknown field type %q (want text, number, date or choice)", s)
}

// Field is a custom field a property defines for its tickets or contacts.
type Field struct {
	ID         int64       `json:"id"`
	PropertyID int64       `json:"property_id"`
	For        FieldTarget `json:"for"`
	Name       string      `json:"name"`
	Type       FieldType   `json:"type"`
	Choices    []string    `json:"choices,omitempty"` // the values a choice field may take, in order
	CreatedAt  time.Time   `json:"created_at,omitzero"`
}

// Limits of custom fields, in bytes.
const (
	MaxFieldName  = 64
	MaxFieldValue = 1024
	MaxChoices    = 100
)

// Validate checks a field's definition: a name of letters, digits, '-' and
// '_' (so that NAME=VALUE filters parse), a known type, and choices exactly
// when the type is choice, each distinct and non-empty.
func (f Field) Validate() error {
	if f.Name == "" || len(f.Name) > MaxFieldName {
		return fmt.Errorf("a field name is 1 to %d bytes", MaxFieldName)
	}
	for _, r := range f.Name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' {
			return fmt.Errorf("field name %q: letters, digits, - and _ only", f.Name)
		}
	}
	if _, err := ParseFieldTarget(string(f.For)); err != nil {
		return err
	}
	if _, err := ParseFieldType(string(f.Type)); err != nil {
		return err
	}
	if (f.Type == FieldChoice) != (len(f.Choices) > 0) {
		return fmt.Errorf("field %s: choices go with the type choice, and a choice field needs them", f.Name)
	}
	if len(f.Choices) > MaxChoices {
		return fmt.Errorf("field %s: at most %d choices", f.Name, MaxChoices)
	}
	for i, c := range f.Choices {
		if strings.TrimSpace(c) == "" || !printableLine(c) || len(c) > MaxFieldValue {
			return fmt.Errorf("field %s: choice %q is empty, too long or not one line of printable UTF-8", f.Name, c)
		}
		if slices.Contains(f.Choices[:i], c) {
			return fmt.Errorf("field %s: choice %q given twice", f.Name, c)
		}
	}
	return nil
}

// Value checks v against the field's type and returns it in its canonical
// form, the one stored and compared by filters: text trimmed, a number as
// Go's shortest decimal form ("1.50" is "1.5"), a date as YYYY-MM-DD, a
// choice as the choice is spelled (matched without regard to case). The
// empty string clears the field and is always valid.
func (f Field) Value(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if len(v) > MaxFieldValue || !printableLine(v) {
		return "", fmt.Errorf("field %s: a value is one line of printable UTF-8, at most %d bytes", f.Name, MaxFieldValue)
	}
	switch f.Type {
	case FieldNumber:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || strings.ContainsAny(strings.ToLower(v), "inx") { // no Inf, NaN or hex
			return "", fmt.Errorf("field %s: %q is not a number", f.Name, v)
		}
		return strconv.FormatFloat(n, 'f', -1, 64), nil
	case FieldDate:
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", fmt.Errorf("field %s: %q is not a date (YYYY-MM-DD)", f.Name, v)
		}
		return d.Format(time.DateOnly), nil
	case FieldChoice:
		for _, c := range f.Choices {
			if strings.EqualFold(c, v) {
				return c, nil
			}
		}
		return "", fmt.Errorf("field %s: %q is not one of %s", f.Name, v, strings.Join(f.Choices, ", "))
	}
	return v, nil
}

// printableLine reports whether s is valid UTF-8 without control characters
// (C0, DEL, C1: line breaks, tabs, NULs, terminal escapes), as CheckName
// asks of names: a field's value is shown in lists, mail and, later, the web.
func printableLine(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}
