package ticket

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what an administrator gives a property, member or department.
// They keep what reaches the headers of outbound mail foldable and the
// command line's tables readable.
const (
	// MaxAddressLen is the longest address, in octets: RFC 5321 §4.5.3.1.3
	// limits a path to 256 octets with its angle brackets.
	MaxAddressLen = 254
	// MaxLocalPartLen is the longest local part, in octets (RFC 5321
	// §4.5.3.1.1).
	MaxLocalPartLen = 64
	// MaxNameLen is the longest name (of a property, a member, a department
	// or the From of outbound mail), in characters.
	MaxNameLen = 100
	// MaxSlugLen is the longest property slug.
	MaxSlugLen = 32
	// MaxTagFormatLen is the longest subject tag format, in octets.
	MaxTagFormatLen = 32
	// MaxAddresses is the most inbound addresses one property may have.
	MaxAddresses = 50
)

// DefaultTagFormat is the subject tag of a property that names none.
const DefaultTagFormat = "[#%d]"

// FieldError is a problem with one field of an input. Field is the name an
// administrator knows it by (the command line's flag without dashes).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, err error) error {
	if err == nil {
		return nil
	}
	return &FieldError{Field: field, Err: err}
}

// ParseAddress checks that s is a bare email address: an addr-spec (RFC
// 5322 §3.4.1) with a dot-atom local part of at most 64 octets and a domain
// name, at most 254 octets in all, without display name or angle brackets,
// white space or control characters (not even the C1 controls net/mail
// lets through in UTF-8 local parts). Such an address can be written into
// an SMTP envelope as it is (RFC 5321 §4.1.2).
// It returns s without surrounding white space.
func ParseAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%s is not an email address (%s)", quoteShort(s), why)
	}
	switch {
	case s == "":
		return "", errors.New("an email address is required")
	case len(s) > MaxAddressLen:
		return bad(fmt.Sprintf("longer than %d octets", MaxAddressLen))
	case strings.ContainsAny(s, "<>"):
		return bad("give the bare address, without a name or angle brackets")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return bad("it holds white space or a control character")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return bad("no @")
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > MaxLocalPartLen {
		return bad(fmt.Sprintf("the part before @ is longer than %d octets", MaxLocalPartLen))
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Name != "" || a.Address != s || strings.ContainsAny(local, "\" \\") {
		return bad("the part before @ is not a plain dot-atom")
	}
	if err := CheckDomain(domain); err != nil {
		return bad(err.Error())
	}
	return s, nil
}

// CheckDomain checks a domain name: dot-separated labels of 1 to 63
// characters, letters, digits and hyphens (or non-ASCII, for
// internationalised names), no leading or trailing hyphen (RFC 1035 §2.3.1,
// RFC 5890). Address literals ([192.0.2.1]) are not accepted.
func CheckDomain(domain string) error {
	if domain == "" {
		return errors.New("no domain after @")
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("the domain has an empty or overlong label")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("a domain label starts or ends with a hyphen")
		}
		for _, r := range label {
			if r < utf8.RuneSelf && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("the domain holds %q", r)
			}
		}
	}
	return nil
}

// quoteShort quotes s for an error message, cut to 60 octets.
func quoteShort(s string) string {
	if len(s) > 60 {
		cut := 60
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// CheckName checks a display name: valid UTF-8 without control characters,
// at most MaxNameLen characters, and not empty when required.
func CheckName(s string, required bool) error {
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	case required && strings.TrimSpace(s) == "":
		return errors.New("is required")
	case n > MaxNameLen:
		return fmt.Errorf("is %d characters long; the limit is %d", n, MaxNameLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%s holds a control character", quoteShort(s))
	}
	return nil
}

// CheckSlug checks a property slug: 1 to MaxSlugLen lower-case letters,
// digits, '-' and '_', starting with a letter or digit.
func CheckSlug(s string) error {
	if s == "" || len(s) > MaxSlugLen {
		return fmt.Errorf("%s must be 1 to %d characters", quoteShort(s), MaxSlugLen)
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_')) {
			return fmt.Errorf("%q: use lower-case letters, digits, '-' and '_', starting with a letter or digit", s)
		}
	}
	return nil
}

// CheckTagFormat checks the shape of a subject tag format: exactly one %d
// and no other %, printable text of at most MaxTagFormatLen octets, and some
// text beside the number, so that a bare number in a subject is not taken
// for a tag. (threading.CheckTagFormat also checks that tags read back.)
func CheckTagFormat(f string) error {
	switch {
	case len(f) > MaxTagFormatLen:
		return fmt.Errorf("%s is longer than %d octets", quoteShort(f), MaxTagFormatLen)
	case strings.Count(f, "%d") != 1:
		return fmt.Errorf("%q must contain %%d exactly once", f)
	case strings.Count(f, "%") != 1:
		return fmt.Errorf("%q: %%d is the only %% allowed", f)
	case strings.TrimSpace(strings.Replace(f, "%d", "", 1)) == "":
		return fmt.Errorf("%q needs text beside %%d, such as [#%%d]", f)
	case strings.IndexFunc(f, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) >= 0:
		return fmt.Errorf("%q holds a control character", f)
	}
	return nil
}

// WithDefaults fills what a new property may leave out: the From name is
// the property's name, the From address its first inbound address, the tag
// format DefaultTagFormat.
func (p Property) WithDefaults() Property {
	if p.FromName == "" {
		p.FromName = p.Name
	}
	if p.FromAddress == "" && len(p.Addresses) > 0 {
		p.FromAddress = p.Addresses[0]
	}
	if p.TagFormat == "" {
		p.TagFormat = DefaultTagFormat
	}
	return p
}

// Validate reports every problem of a property at once, each a
// *FieldError joined with errors.Join.
func (p Property) Validate() error {
	errs := []error{
		fieldErr("slug", CheckSlug(p.Slug)),
		fieldErr("name", CheckName(p.Name, true)),
		fieldErr("from-name", CheckName(p.FromName, false)),
		fieldErr("tag-format", CheckTagFormat(p.TagFormat)),
	}
	if _, err := ParseAddress(p.FromAddress); err != nil {
		errs = append(errs, fieldErr("from-address", err))
	}
	switch {
	case len(p.Addresses) == 0:
		errs = append(errs, fieldErr("address", errors.New("at least one inbound address is required")))
	case len(p.Addresses) > MaxAddresses:
		errs = append(errs, fieldErr("address", fmt.Errorf("%d addresses; the limit is %d", len(p.Addresses), MaxAddresses)))
	}
	seen := map[string]bool{}
	for _, a := range p.Addresses {
		if _, err := ParseAddress(a); err != nil {
			errs = append(errs, fieldErr("address", err))
		} else if l := strings.ToLower(a); seen[l] {
			errs = append(errs, fieldErr("address", fmt.Errorf("%q is given twice", a)))
		} else {
			seen[l] = true
		}
	}
	return errors.Join(errs...)
}

// Validate reports every problem of a member at once.
func (m Member) Validate() error {
	errs := []error{fieldErr("name", CheckName(m.Name, false))}
	if _, err := ParseAddress(m.Email); err != nil {
		errs = append(errs, fieldErr("email", err))
	}
	if _, err := ParseRole(string(m.Role)); err != nil {
		errs = append(errs, fieldErr("role", err))
	}
	return errors.Join(errs...)
}

// Validate reports every problem of a department at once.
func (d Department) Validate() error {
	errs := []error{fieldErr("name", CheckName(d.Name, true))}
	for _, e := range d.Members {
		if _, err := ParseAddress(e); err != nil {
			errs = append(errs, fieldErr("members", err))
		}
	}
	return errors.Join(errs...)
}
