package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// SignInLinkTTL is how long a sign-in link into the web inbox works.
const SignInLinkTTL = 15 * time.Minute

// SendSignInLink mails a member a one-time link into the web inbox, from
// the property she belongs to. It goes at once (a notice no digest folds)
// and is sent by postdesk itself: whoever asked for it at the sign-in form
// proved nothing yet.
func (d *Desk) SendSignInLink(ctx context.Context, prop ticket.Property, m ticket.Member, link string) error {
	body := "Someone, hopefully you, asked to sign in to the " + prop.Name + " inbox as " + m.Email + ".\n\n" +
		fmt.Sprintf("Open this link to sign in (it works once, within %d minutes):\n\n", int(SignInLinkTTL.Minutes())) + link + "\n\n" +
		"If it was not you, ignore this mail: nothing happens without the link."
	return d.Run(ctx, prop, AsSystem("sign-in"), func(o *Op) error {
		return o.Queue.NoticeNow(m, "Sign in to "+prop.Name, body)
	})
}
