package ingest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// confirmation is a mail provider's request to confirm that a mailbox may
// forward to the property: Gmail's "Gmail Forwarding Confirmation", or
// Microsoft's security code verifying the property's address for an
// Outlook.com account.
type confirmation struct {
	provider string
	mailbox  string // the mailbox that asks to forward here
	code     string
	link     string // "" when the provider sends a code only
}

// Senders of forwarding confirmations. Anyone can write these in a From,
// so a mail is a confirmation only if its code and link have the
// provider's own form and the link goes to the provider's own host: a
// forged confirmation cannot put a link of its choosing in front of the
// admins, and is a customer's mail like any other.
const (
	gmailForwarding = "forwarding-noreply@google.com"
	microsoftCode   = "account-security-noreply@accountprotection.microsoft.com"
)

var (
	// gmailLink is the confirmation link ("vf-": verify forwarding) on
	// Gmail's settings host; "uf-" cancels and is not taken.
	gmailLink = regexp.MustCompile(`https://mail(?:-settings)?\.google\.com/mail/(?:u/\d+/)?vf-[A-Za-z0-9%_.~\-\[\]]+`)
	// gmailCode is the code in the subject "(#123456789) Gmail Forwarding
	// Confirmation …" or the body's "Confirmation code: 123456789".
	gmailCode = regexp.MustCompile(`(?i)(?:\(#|confirmation code:\s*)(\d{6,12})\b`)
	// gmailMailbox is the asking mailbox in the subject ("… Receive Mail
	// from admin@gmail.com") or the body's first line ("admin@gmail.com has
	// requested to automatically forward mail …").
	gmailMailbox = regexp.MustCompile(`(?i)(?:receive mail from\s+([^\s<>()]+@[^\s<>()]+))|(?:^\s*([^\s<>()]+@[^\s<>()]+)\s+has requested)`)
	// microsoftCodeRe is the code of Microsoft's "Verify your email
	// address" mail: "use this security code: 4917" or "Security code: 4917".
	microsoftCodeRe = regexp.MustCompile(`(?i)security code:\s*(\d{4,10})\b`)
	// microsoftAccount names the account, masked ("ad***@outlook.com").
	microsoftAccount = regexp.MustCompile(`(?i)microsoft account\s+([^\s<>()]*\*+[^\s<>()]*@[^\s<>()]+[a-z])`)
)

// forwardingConfirmation recognises a provider's forwarding confirmation.
func forwardingConfirmation(msg *parsed) (confirmation, bool) {
	if msg.From == nil {
		return confirmation{}, false
	}
	switch strings.ToLower(msg.From.Address) {
	case gmailForwarding:
		return gmailConfirmation(msg)
	case microsoftCode:
		return microsoftConfirmation(msg)
	}
	return confirmation{}, false
}

func gmailConfirmation(msg *parsed) (confirmation, bool) {
	c := confirmation{provider: "gmail", link: gmailLink.FindString(msg.Text)}
	if m := gmailCode.FindStringSubmatch(msg.Subject + "\n" + msg.Text); m != nil {
		c.code = m[1]
	}
	for _, s := range []string{msg.Subject, msg.Text} {
		if m := gmailMailbox.FindStringSubmatch(s); m != nil {
			c.mailbox = strings.ToLower(strings.TrimRight(orElse(m[1], m[2]), "."))
			break
		}
	}
	return c, c.link != "" && c.code != "" && c.mailbox != ""
}

func microsoftConfirmation(msg *parsed) (confirmation, bool) {
	c := confirmation{provider: "outlook", mailbox: "(a Microsoft account)"}
	m := microsoftCodeRe.FindStringSubmatch(msg.Text)
	if m == nil {
		return c, false
	}
	c.code = m[1]
	if a := microsoftAccount.FindStringSubmatch(msg.Text); a != nil {
		c.mailbox = strings.ToLower(a[1])
	}
	return c, true
}

// recordConfirmation keeps a forwarding confirmation on the property (shown
// by `postdesk property show`) and mails its code and link to the
// property's admins. It opens no ticket and answers nobody.
func (p *Pipeline) recordConfirmation(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte, c confirmation) (delivered, error) {
	if err := tx.PutBlob(msg.RawSHA256, raw); err != nil {
		return delivered{}, err
	}
	f := &store.Forwarding{PropertyID: prop.ID, Mailbox: c.mailbox, Provider: c.provider, Code: c.code, Link: c.link,
		ConfirmSHA256: msg.RawSHA256}
	if err := tx.RecordConfirmation(f); err != nil {
		return delivered{}, err
	}
	body := fmt.Sprintf("%s asks to forward its mail to %s (%s).\n\nConfirmation code: %s\n", c.mailbox,
		strings.Join(prop.Addresses, ", "), c.provider, c.code)
	if c.link != "" {
		body += "Confirmation link: " + c.link + "\n"
	}
	body += "\nConfirm it only if that mailbox is yours. postdesk property show --property " + prop.Slug + " shows it again."
	return delivered{property: prop.Slug, thread: "forwarding confirmation from " + c.mailbox},
		p.queue(tx, prop, env).TellAdmins("Forwarding confirmation: "+c.mailbox, body)
}
