package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// propertyShow prints one property: its addresses, outbound identity and
// forwarding mailboxes with the confirmation code and link each provider
// sent.
func propertyShow(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "property show", nil)
	if err != nil {
		return err
	}
	defer a.st.Close()
	fws, err := a.st.Forwardings(ctx, p.ID)
	if err != nil {
		return err
	}
	view := struct {
		ticket.Property
		Forwarding []store.Forwarding
	}{p, nonNil(fws)}
	return a.print(e.stdout, view, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "slug\t%s\nname\t%s\naddresses\t%s\nfrom\t%q <%s>\ntag format\t%s\nacknowledge\t%v\n",
			p.Slug, p.Name, strings.Join(p.Addresses, ", "), p.FromName, p.FromAddress, p.TagFormat, p.AckEnabled)
		if len(fws) == 0 {
			fmt.Fprintf(w, "forwarding\t-\n")
		}
		for _, f := range fws {
			fmt.Fprintf(w, "forwarding\t%s\n", f.Mailbox)
			if f.ConfirmAt.IsZero() {
				continue
			}
			fmt.Fprintf(w, "  confirmation\t%s, %s\n  code\t%s\n", f.Provider, f.ConfirmAt.Format(time.DateTime), f.Code)
			if f.Link != "" {
				fmt.Fprintf(w, "  link\t%s\n", f.Link)
			}
		}
	})
}

// forwardingAdd names a mailbox that forwards to the property (one whose
// provider sends no confirmation: Exchange, a Postfix alias): a mail whose
// From is that mailbox and carries a forwarded message is filed under the
// forwarded message's sender.
func forwardingAdd(ctx context.Context, e env) error {
	return forwardingChange(ctx, e, "forwarding add", func(a *admin, p ticket.Property, addr string) (string, error) {
		return "added forwarding mailbox " + addr + " to " + p.Slug, a.st.AddForwarding(ctx, p.ID, addr)
	})
}

// forwardingRemove forgets a forwarding mailbox and its confirmation.
func forwardingRemove(ctx context.Context, e env) error {
	return forwardingChange(ctx, e, "forwarding remove", func(a *admin, p ticket.Property, addr string) (string, error) {
		return "removed forwarding mailbox " + addr + " from " + p.Slug, a.st.RemoveForwarding(ctx, p.ID, addr)
	})
}

func forwardingChange(ctx context.Context, e env, name string, change func(*admin, ticket.Property, string) (string, error)) error {
	var mailbox *string
	a, p, err := openForProperty(ctx, e, name, func(fs *flag.FlagSet) {
		mailbox = fs.String("mailbox", "", "the forwarding mailbox's address (required)")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	if err := required(map[string]string{"mailbox": *mailbox}); err != nil {
		return err
	}
	addr, err := ticket.ParseAddress(*mailbox)
	if err != nil {
		return fmt.Errorf("--mailbox: %w", err)
	}
	if p.Owns(addr) {
		return fmt.Errorf("--mailbox: %s is an address of %s itself", addr, p.Slug)
	}
	done, err := change(a, p, addr)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, done)
	return nil
}
