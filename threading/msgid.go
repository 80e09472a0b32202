// Package threading decides which ticket an inbound mail continues, or that it
// opens a new one, and mints the identities that make replies find their way
// back: signed reply tokens, signed Message-IDs, ticket references and subject
// tags.
//
// It is pure: header strings, addresses and tokens come in, a Decision with
// the rule that fired comes out. The only outside knowledge it needs, what a
// property has already stored, it asks through the Lookup interface, which the
// store answers inside the delivery transaction.
//
// Message identifiers follow RFC 5322 §3.6.4; automatic replies are recognised
// per RFC 3834.
package threading

import (
	"strings"
)

// Limits on what a header may make us look up.
const (
	MaxIDLength   = 250 // longer identifiers are dropped
	MaxReferences = 64  // only the newest references are kept
)

// ParseMessageID returns the single identifier in a Message-ID header, without
// angle brackets, and whether one was found. It is lenient: a missing bracket,
// comments and surrounding junk are tolerated, since real mail has all three.
func ParseMessageID(s string) (string, bool) {
	ids := ParseIDList(s)
	if len(ids) == 0 {
		return "", false
	}
	return ids[0], true
}

// ParseIDList returns the identifiers of an In-Reply-To or References header
// in the order they appear, without angle brackets, duplicates removed. When
// there are more than MaxReferences, the last (newest) ones are kept.
func ParseIDList(s string) []string {
	var ids []string
	if strings.IndexByte(s, '<') >= 0 {
		ids = bracketed(s)
	} else {
		ids = bare(s)
	}
	ids = dedupe(ids)
	if len(ids) > MaxReferences {
		ids = ids[len(ids)-MaxReferences:]
	}
	return ids
}

// bracketed collects every <...> in s. An unclosed last bracket takes the rest.
func bracketed(s string) []string {
	var ids []string
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return ids
		}
		s = s[i+1:]
		j := strings.IndexAny(s, "<>")
		var id string
		if j < 0 {
			id, s = s, ""
		} else {
			id, s = s[:j], s[j:]
			if s[0] == '>' {
				s = s[1:]
			}
		}
		if id = cleanID(id); id != "" {
			ids = append(ids, id)
		}
	}
}

// bare handles ids written without brackets: whitespace- or comma-separated
// tokens that look like local@domain.
func bare(s string) []string {
	var ids []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' }) {
		if strings.Contains(f, "@") {
			if id := cleanID(f); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// cleanID trims white space and quotes and rejects what cannot be an
// identifier: empty, too long, or containing spaces, control characters or
// angle brackets.
func cleanID(id string) string {
	id = strings.Trim(id, " \t\r\n\"")
	if id == "" || len(id) > MaxIDLength {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' {
			return ""
		}
	}
	return id
}

func dedupe(ids []string) []string {
	if len(ids) < 2 {
		return ids
	}
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
