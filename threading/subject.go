package threading

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Tag returns the subject tag of ticket number n in a property's format,
// e.g. "[#42]" for "[#%d]".
func Tag(format string, n int64) string {
	return strings.Replace(format, "%d", strconv.FormatInt(n, 10), 1)
}

// TagParser finds a property's subject tag in a subject.
type TagParser struct{ re *regexp.Regexp }

// NewTagParser compiles a tag format holding exactly one %d.
func NewTagParser(format string) (*TagParser, error) {
	before, after, ok := strings.Cut(format, "%d")
	if !ok || strings.Contains(after, "%d") {
		return nil, fmt.Errorf("tag format %q must contain %%d once", format)
	}
	re, err := regexp.Compile(`(?i)` + regexp.QuoteMeta(before) + `\s*0*([1-9][0-9]{0,17})\s*` + regexp.QuoteMeta(after))
	if err != nil {
		return nil, err
	}
	return &TagParser{re: re}, nil
}

// Find returns the ticket number of the first tag in subject.
func (p *TagParser) Find(subject string) (int64, bool) {
	m := p.re.FindStringSubmatch(subject)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return n, err == nil
}

// replyPrefix matches the reply and forward prefixes mail clients put before
// a subject, in the languages they are common in: Re, RE[3], Aw (German),
// Sv (Scandinavian), Vs (Finnish), Fwd, Fw, Wg, Tr, Ref, Odp, Antw, and
// the like, each with an optional [n] or (n) counter.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|aw|sv|vs|fwd?|wg|tr|rif|ref|odp|antw|res|r)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*`)

// BaseSubject strips reply and forward prefixes and white space, so that
// "RE: AW: Re[3]: Hello" becomes "Hello". It is for display and matching
// tags; a matching subject alone never threads a mail.
func BaseSubject(s string) string {
	for {
		t := replyPrefix.ReplaceAllString(s, "")
		if t == s {
			return strings.TrimSpace(s)
		}
		s = t
	}
}
