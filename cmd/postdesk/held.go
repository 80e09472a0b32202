package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/ticket"
)

// heldShow prints one held mail: what is known of it, then its raw bytes.
func heldShow(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "held show", nil)
	if err != nil {
		return err
	}
	defer a.st.Close()
	id, err := heldID(a.pos)
	if err != nil {
		return err
	}
	h, raw, err := a.st.HeldRaw(ctx, p.ID, id)
	if err != nil {
		return err
	}
	commands, err := ingest.HeldCommands(raw)
	if err != nil {
		return err
	}
	view := struct {
		ticket.HeldMail
		Commands []string // the command lines at the top of its text
		Raw      string
	}{h, commands, string(raw)}
	return a.print(e.stdout, view, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "id\t%d\nreceived\t%s\nstatus\t%s\nsender\t%s\nsubject\t%s\nreason\t%s\nenvelope\t%s → %s\n",
			h.ID, h.CreatedAt.Format(time.DateTime), h.Status, cell(h.Sender), cell(h.Subject), cell(h.Reason), cell(h.EnvFrom), cell(strings.Join(h.EnvTo, ", ")))
		for _, c := range commands {
			fmt.Fprintf(w, "command\t%s   (applied on release only with --with-commands)\n", cell(c))
		}
		if h.ResolvedBy != "" {
			fmt.Fprintf(w, "%s by\t%s at %s\n", h.Status, h.ResolvedBy, h.ResolvedAt.Format(time.DateTime))
		}
		w.Flush()
		fmt.Fprintf(terminal(e.stdout), "\n%s", raw)
	})
}

// heldRelease runs held mail through the pipeline as if it had just
// arrived; the rule that held it lets it pass. A member's mail applies
// its commands only with --with-commands. The desk decides who may
// (desk.Desk.ReleaseHeld).
func heldRelease(ctx context.Context, e env) error {
	var as *string
	var withCommands *bool
	a, p, err := openForProperty(ctx, e, "held release", func(fs *flag.FlagSet) {
		actorFlag(&as)(fs)
		withCommands = fs.Bool("with-commands", false, "let a member's mail apply the command lines it carries (see held show)")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	id, actor, err := heldAction(ctx, a, p, *as)
	if err != nil {
		return err
	}
	pipeline, err := commandPipeline(ctx, a.cfg, a.st, newLogger(a.cfg, e.stderr))
	if err != nil {
		return err
	}
	number, err := desk.New(desk.Options{Store: a.st, Now: e.now}).ReleaseHeld(ctx, p, actor, id, *withCommands, pipeline.ReleaseFunc(p))
	if err != nil {
		return err
	}
	if number == 0 {
		fmt.Fprintf(terminal(e.stdout), "released held mail %d (it reached no ticket)\n", id)
		return nil
	}
	fmt.Fprintf(terminal(e.stdout), "released held mail %d into ticket #%d\n", id, number)
	return nil
}

// heldDiscard marks held mail discarded; its bytes stay for the record.
func heldDiscard(ctx context.Context, e env) error {
	var as *string
	a, p, err := openForProperty(ctx, e, "held discard", actorFlag(&as))
	if err != nil {
		return err
	}
	defer a.st.Close()
	id, actor, err := heldAction(ctx, a, p, *as)
	if err != nil {
		return err
	}
	if err := desk.New(desk.Options{Store: a.st, Now: e.now}).DiscardHeld(ctx, p, actor, id); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "discarded held mail %d\n", id)
	return nil
}

// heldAction reads what release and discard both take: the held mail's id
// and the member who acts (--as, required).
func heldAction(ctx context.Context, a *admin, p ticket.Property, as string) (int64, desk.Actor, error) {
	id, err := heldID(a.pos)
	if err != nil {
		return 0, desk.Actor{}, err
	}
	actor, err := requiredActor(ctx, a, p, as)
	return id, actor, err
}

// requiredActor is the member --as names, who must be given.
func requiredActor(ctx context.Context, a *admin, p ticket.Property, as string) (desk.Actor, error) {
	if strings.TrimSpace(as) == "" {
		return desk.Actor{}, errors.New("--as EMAIL is required: the member who does it")
	}
	return memberActor(ctx, a.st, p, as)
}

func actorFlag(as **string) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		*as = fs.String("as", "", "the member who does it (her address; required); the desk checks her role")
	}
}

// heldID reads the one positional argument, a held mail's id.
func heldID(pos []string) (int64, error) {
	if len(pos) != 1 {
		return 0, errors.New("want exactly one argument: the id of the held mail (see postdesk held list)")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a held mail id", pos[0])
	}
	return id, nil
}

// actorName is who the record names: --as, checked to be an address, or the
// operating system user.
func actorName(as string, e env) (string, error) {
	if as != "" {
		a, err := mail.ParseAddress(as)
		if err != nil {
			return "", fmt.Errorf("--as %q: %w", as, err)
		}
		return strings.ToLower(a.Address), nil
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if name := e.getenv("USER"); name != "" {
		return name, nil
	}
	return "", errors.New("cannot tell who you are: give --as EMAIL")
}
