package desk

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// maxMentions bounds the members one note notifies, so that a note naming
// the whole team does not become a storm of notices.
const maxMentions = 20

// Mentions returns the words of text written as @word: an '@' at the start
// or after a character that is neither a letter nor a digit (so the '@' of
// an address such as bob@acme.test is no mention), followed by letters,
// digits, '.', '_' or '-'; trailing dots and dashes are not part of it
// ("thanks @bob." mentions bob). Each word once, lower-cased, in order.
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		if runes[i] != '@' || (i > 0 && wordRune(runes[i-1])) {
			continue
		}
		j := i + 1
		for j < len(runes) && (wordRune(runes[j]) || strings.ContainsRune("._-", runes[j])) {
			j++
		}
		w := strings.ToLower(strings.TrimRight(string(runes[i+1:j]), ".-"))
		if w != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
		i = j - 1
	}
	return out
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Mentioned reports whether a mention (a word of Mentions) names member
// m: the first word of her name, or the local part of her address, letter
// case aside.
func Mentioned(word string, m ticket.Member) bool {
	word = strings.ToLower(word)
	if first, _, _ := strings.Cut(strings.TrimSpace(m.Name), " "); first != "" && strings.ToLower(first) == word {
		return true
	}
	local, _, _ := strings.Cut(m.Email, "@")
	return strings.ToLower(local) == word
}

// mention sends a notice to every member note m mentions, the author
// aside: the note's text, and how to answer it (a reply to the notice is a
// note on the ticket).
func (o *Op) mention(t *ticket.Ticket, m *ticket.Message) error {
	words := Mentions(m.Text)
	if len(words) == 0 {
		return nil
	}
	members, err := o.Tx.MembersOf(o.Prop().ID)
	if err != nil {
		return err
	}
	tag := threading.Tag(o.Prop().TagFormat, t.Number)
	told := 0
	for _, mb := range members {
		if mb.ID == m.AuthorID || !mentionsMember(words, mb) || told == maxMentions {
			continue
		}
		told++
		body := fmt.Sprintf("%s mentioned you in an internal note on %s: %s\n\n%s\n\n"+
			"Reply to this mail to add a note to the ticket.", o.Actor, t.Ref(), t.Subject, m.Text)
		if err := o.Queue.Notice(t.ID, mb, "Mentioned: "+tag+" "+t.Subject, body); err != nil {
			return err
		}
	}
	return nil
}

func mentionsMember(words []string, m ticket.Member) bool {
	for _, w := range words {
		if Mentioned(w, m) {
			return true
		}
	}
	return false
}
