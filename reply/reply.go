// Package reply separates the new text of a plain-text mail reply from the
// history it quotes: RFC 3676 §4.5 quotes ("> "), the attribution lines
// mail clients write above them ("On … wrote:" in English, Portuguese,
// German, French, Spanish and Dutch, however wrapped), Outlook's unquoted
// history ("-----Original Message-----", a rule of underscores, a
// "From:/Sent:" block, "*From:*" when converted from HTML), the RFC 3676
// §4.3 signature separator and phones' footers. It is pure: text in, text
// out.
//
// Nothing new is ever cut: a quoted block goes only when no new text
// follows it, so an answer written between quoted lines is kept whole,
// with the quotes it answers.
package reply

import (
	"regexp"
	"strings"
)

// Trim returns the new text of an agent's reply: the text before the
// signature separator, a phone's footer or Outlook's history, without the
// quoted blocks that nothing new follows.
func Trim(text string) string {
	lines := split(text)
	lines = lines[:cut(lines, true)]
	return strings.Join(lines[:lastNew(lines)], "\n")
}

// Fold returns the new text of a customer's reply, signature and footers
// kept, and how many lines of quoted history follow it. The history is
// what Trim removes besides signatures: Outlook's history and the quoted
// blocks no new text follows. A mail that is nothing but history folds
// nothing.
func Fold(text string) (fresh string, folded int) {
	lines := split(text)
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	keep := lastNew(lines[:cut(lines, false)])
	if keep == 0 {
		return strings.Join(lines, "\n"), 0
	}
	return strings.Join(lines[:keep], "\n"), len(lines) - keep
}

func split(text string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
}

// cut returns the index of the first line where unquoted history begins
// (len(lines) if none). With signatures set, the signature separator and
// phones' footers cut too.
func cut(lines []string, signatures bool) int {
	for i, line := range lines {
		t := strings.TrimRight(line, " \t")
		switch {
		case signatures && (t == "--" || line == "-- " || mobileFooter.MatchString(strings.TrimSpace(t))):
			return i
		case originalMessage.MatchString(strings.TrimSpace(t)), outlookHeader(lines, i):
			return i
		case underscores.MatchString(t) && nextNonBlankIsFrom(lines, i):
			return i
		}
	}
	return len(lines)
}

// lastNew returns the number of lines up to and including the last line
// of new text: neither blank, nor quoted, nor part of an attribution.
func lastNew(lines []string) int {
	attribution := attributions(lines)
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" && !strings.HasPrefix(t, ">") && !attribution[i] {
			return i + 1
		}
	}
	return 0
}

// maxAttributionLines is how many lines an attribution may be wrapped
// over: Gmail wraps long ones before the address and before "wrote:".
const maxAttributionLines = 3

// attributions marks the lines that form an attribution ("On … wrote:")
// introducing a quoted block: one to three unquoted lines that, joined,
// read as one, followed (after blank lines) by a quoted line or nothing.
func attributions(lines []string) map[int]bool {
	marked := map[int]bool{}
	for i := 0; i < len(lines); i++ {
		if !attributionStart.MatchString(strings.TrimSpace(lines[i])) {
			continue
		}
		joined := ""
		for j := i; j < len(lines) && j < i+maxAttributionLines; j++ {
			t := strings.TrimSpace(lines[j])
			if t == "" || strings.HasPrefix(t, ">") {
				break
			}
			joined = strings.TrimSpace(joined + " " + t)
			if attribution.MatchString(joined) && quoteFollows(lines, j+1) {
				for k := i; k <= j; k++ {
					marked[k] = true
				}
				i = j
				break
			}
		}
	}
	return marked
}

// quoteFollows reports whether, after blank lines, lines[from:] starts
// with a quoted line or ends.
func quoteFollows(lines []string, from int) bool {
	for _, l := range lines[from:] {
		if t := strings.TrimSpace(l); t != "" {
			return strings.HasPrefix(t, ">")
		}
	}
	return true
}

var (
	// attributionStart is the first word of an attribution: On, Em (pt),
	// Am (de), Le (fr), El (es), Op (nl).
	attributionStart = regexp.MustCompile(`^(On|Em|Am|Le|El|Op)\s`)
	// attribution is a whole attribution, its lines joined. The verb may
	// follow the address without a space ("<x@example.com>wrote:").
	attribution = regexp.MustCompile(`^(On|Em|Am|Le|El|Op)\s.{0,300}(wrote|escreveu|schrieb|a\s+écrit|escribió|schreef)(\s.{0,200})?\s?:$`)
	// originalMessage is Outlook's separator, in the languages above.
	originalMessage = regexp.MustCompile(`(?i)^-{3,}\s*(original message|mensagem original|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht)\s*-{3,}$`)
	underscores     = regexp.MustCompile(`^_{10,}$`)
	// outlookFrom and outlookNext are the first two lines of Outlook's
	// header block; "*From:*" is its bold HTML header converted to text.
	outlookFrom = regexp.MustCompile(`^\*?(From|De|Von|Van)\s?:\*?\s`)
	outlookNext = regexp.MustCompile(`^\*?(Sent|Date|Enviado|Enviada|Data|Gesendet|Datum|Envoyé|Verzonden|To|Para|An|À)\s?:\*?\s`)
	// mobileFooter is the line a phone's mail app adds under the text.
	mobileFooter = regexp.MustCompile(`^(Sent from my \S.{0,40}|Sent from (Mail|Outlook|Yahoo Mail) for \S.{0,30}|Get Outlook for (iOS|Android)|` +
		`Enviado do meu \S.{0,30}|Enviado desde mi \S.{0,30}|Von meinem \S.{0,40} gesendet|Gesendet von meinem \S.{0,30}|Envoyé de mon \S.{0,30})$`)
)

// outlookHeader recognises Outlook's quoted header block at line i: a
// "From:" line followed by "Sent:", "Date:" or "To:" (or their
// translations).
func outlookHeader(lines []string, i int) bool {
	if !outlookFrom.MatchString(strings.TrimSpace(lines[i])) || i+1 >= len(lines) {
		return false
	}
	return outlookNext.MatchString(strings.TrimSpace(lines[i+1]))
}

func nextNonBlankIsFrom(lines []string, i int) bool {
	for _, l := range lines[i+1:] {
		if t := strings.TrimSpace(l); t != "" {
			return outlookFrom.MatchString(t)
		}
	}
	return false
}
