package threading

import "strings"

// UsableID reports whether a Message-ID, without its angle brackets, is one
// a mail system could have generated, and so may thread a mail or stand for
// a ghost parent. RFC 5322 §3.6.4 defines a msg-id as id-left "@" id-right:
// an id without "@" (git-send-email's "<yes>", written when its In-Reply-To
// prompt is answered "yes"), with an empty side ("<@host>", "<local@>"), or
// with white space or control characters inside is not one, and identifies
// nothing: a thousand unrelated mails carry the same "<yes>".
func UsableID(id string) bool {
	at := strings.LastIndexByte(id, '@')
	if at <= 0 || at == len(id)-1 || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// SplitUsable separates ids into those UsableID accepts and those it does
// not, each in the order given.
func SplitUsable(ids []string) (usable, ignored []string) {
	for _, id := range ids {
		if UsableID(id) {
			usable = append(usable, id)
		} else {
			ignored = append(ignored, id)
		}
	}
	return usable, ignored
}
