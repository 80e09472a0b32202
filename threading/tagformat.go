package threading

import (
	"fmt"

	"github.com/postdesk/postdesk/ticket"
)

// CheckTagFormat checks a property's subject tag format: its shape
// (ticket.CheckTagFormat), and that tags made with it are found again by
// the tag parser, alone and inside a reply's subject. A format that fails
// here would switch subject-tag threading off without a word.
func CheckTagFormat(format string) error {
	if err := ticket.CheckTagFormat(format); err != nil {
		return err
	}
	p, err := NewTagParser(format)
	if err != nil {
		return err
	}
	for _, n := range []int64{1, 7, 10, 42, 100, 9999, 1234567890} {
		tag := Tag(format, n)
		for _, subject := range []string{tag, "Re: " + tag + " Order 2024-11 item 55", "AW: Fwd: " + tag} {
			if got, ok := p.Find(subject); !ok || got != n {
				return fmt.Errorf("%q: the tag %q in subject %q reads back as %d, not %d", format, tag, subject, got, n)
			}
		}
	}
	return nil
}
