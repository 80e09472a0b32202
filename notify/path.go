package notify

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// envelopePaths writes the envelope sender and recipients as SMTP needs
// them (see envelopePath). An address that cannot be written is a
// permanent failure: trying again cannot cure it.
func envelopePaths(from string, to []string) (string, []string, error) {
	var err error
	if from != "" {
		if from, err = envelopePath(from); err != nil {
			return "", nil, permanent(fmt.Errorf("envelope sender: %w", err))
		}
	}
	out := make([]string, len(to))
	for i, rcpt := range to {
		if out[i], err = envelopePath(rcpt); err != nil {
			return "", nil, permanent(fmt.Errorf("recipient: %w", err))
		}
	}
	return from, out, nil
}

// envelopePath writes addr as the Mailbox of an SMTP path (RFC 5321
// §4.1.2): a local part that is a Dot-string goes as it is, any other as a
// Quoted-string with '"' and '\' escaped (quoted-pairSMTP); the domain is a
// domain name or an address literal. An address holding a control
// character (CR and LF above all), white space outside a quoted local part,
// or angle brackets in its domain cannot be written safely and is refused:
// written raw, "bob@x.test> NOTIFY=NEVER"@evil.test would add parameters
// to the RCPT command. UTF-8 is kept (RFC 6531 §3.3 extends atext and
// qtextSMTP to it); the limits of RFC 5321 §4.5.3.1 apply.
func envelopePath(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", fmt.Errorf("%q is not local@domain", addr)
	}
	local, domain := addr[:at], addr[at+1:]
	switch {
	case !utf8.ValidString(addr):
		return "", fmt.Errorf("%q is not valid UTF-8", addr)
	case strings.IndexFunc(addr, unicode.IsControl) >= 0:
		return "", fmt.Errorf("%q holds a control character", addr)
	case len(local) > 64 || len(addr) > 254:
		return "", fmt.Errorf("%q is longer than RFC 5321 §4.5.3.1 allows", addr)
	}
	if err := checkPathDomain(domain); err != nil {
		return "", fmt.Errorf("%q: %w", addr, err)
	}
	if !dotString(local) {
		local = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(local) + `"`
	}
	return local + "@" + domain, nil
}

// dotString reports whether s is a Dot-string: atoms of atext (RFC 5322
// §3.2.3, with UTF-8 per RFC 6531) joined by single dots.
func dotString(s string) bool {
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return false
		}
		for _, r := range atom {
			if !atext(r) {
				return false
			}
		}
	}
	return true
}

func atext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= utf8.RuneSelf:
		return !unicode.IsSpace(r)
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// checkPathDomain accepts a domain name (labels of letters, digits,
// hyphens or UTF-8, RFC 5321 §4.1.2 Domain) or an address literal in
// brackets whose content is printable ASCII without brackets, backslash or
// space (§4.1.3).
func checkPathDomain(d string) error {
	if strings.HasPrefix(d, "[") && strings.HasSuffix(d, "]") && len(d) > 2 {
		for _, r := range d[1 : len(d)-1] {
			if r <= ' ' || r > '~' || r == '[' || r == ']' || r == '\\' {
				return fmt.Errorf("address literal holds %q", r)
			}
		}
		return nil
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return errors.New("the domain has an empty label")
		}
		for _, r := range label {
			if r < utf8.RuneSelf && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') ||
				r >= utf8.RuneSelf && unicode.IsSpace(r) {
				return fmt.Errorf("the domain holds %q", r)
			}
		}
	}
	return nil
}
