package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// admin is what an administrative command works with.
type admin struct {
	st   *store.Store
	cfg  config.Config
	json bool
	pos  []string // positional arguments
}

// openAdmin parses the command line (flags may follow positional arguments)
// and opens the store. The caller closes a.st.
func openAdmin(ctx context.Context, fs *flag.FlagSet, l *config.Loader, e env) (*admin, error) {
	asJSON := fs.Bool("json", false, "print JSON")
	args, pos := e.args, []string(nil)
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	cfg, err := l.Load(e.getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	cfg.LogLevel = "warn"
	st, err := openStore(ctx, cfg, newLogger(cfg, e.stderr), e.now)
	if err != nil {
		return nil, err
	}
	return &admin{st: st, cfg: cfg, json: *asJSON, pos: pos}, nil
}

// openForProperty parses a command that works on one property and opens the
// store. define adds the command's own flags; --property may be left out
// while there is only one property. The caller closes a.st.
func openForProperty(ctx context.Context, e env, name string, define func(*flag.FlagSet)) (*admin, ticket.Property, error) {
	fs, l := flags(name, e)
	slug := fs.String("property", "", "property slug (may be left out when there is one property)")
	if define != nil {
		define(fs)
	}
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return nil, ticket.Property{}, err
	}
	p, err := a.property(ctx, *slug)
	if err != nil {
		a.st.Close()
		return nil, ticket.Property{}, err
	}
	return a, p, nil
}

// property resolves --property: a slug, or nothing when there is exactly one.
func (a *admin) property(ctx context.Context, slug string) (ticket.Property, error) {
	if slug != "" {
		return a.st.Property(ctx, slug)
	}
	props, err := a.st.Properties(ctx)
	if err != nil {
		return ticket.Property{}, err
	}
	if len(props) != 1 {
		return ticket.Property{}, fmt.Errorf("--property is required (there are %d properties)", len(props))
	}
	return props[0], nil
}

// print writes v as JSON, or calls table to write it as text, escaped for
// the terminal (see terminal).
func (a *admin) print(w io.Writer, v any, table func(*tabwriter.Writer)) error {
	if a.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(terminal(w), 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

func required(fields map[string]string) error {
	var missing []string
	for name, v := range fields {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}

func propertyAdd(ctx context.Context, e env) error {
	fs, l := flags("property add", e)
	slug := fs.String("slug", "", "short name, used on the command line (required)")
	name := fs.String("name", "", "display name (required)")
	addrs := fs.String("address", "", "inbound addresses, comma-separated (required)")
	fromName := fs.String("from-name", "", "display name of outbound mail (default: --name)")
	fromAddr := fs.String("from-address", "", "address of outbound mail (default: the first inbound address)")
	tag := fs.String("tag-format", ticket.DefaultTagFormat, "subject tag: %d (once) is the ticket number, with text beside it")
	noAck := fs.Bool("no-ack", false, "do not acknowledge new tickets to the customer")
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	if err := required(map[string]string{"slug": *slug, "name": *name, "address": *addrs}); err != nil {
		return err
	}
	p := ticket.Property{Slug: *slug, Name: *name, FromName: *fromName, FromAddress: strings.TrimSpace(*fromAddr),
		TagFormat: *tag, AckEnabled: !*noAck, Addresses: splitList(*addrs)}
	p = p.WithDefaults()
	err = p.Validate()
	if tagErr := threading.CheckTagFormat(p.TagFormat); tagErr != nil && ticket.CheckTagFormat(p.TagFormat) == nil {
		err = errors.Join(err, &ticket.FieldError{Field: "tag-format", Err: tagErr})
	}
	if err != nil {
		return flagErrors(err)
	}
	if p, err = a.st.AddProperty(ctx, p); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "added property %s (%s) receiving at %s\n", p.Slug, p.Name, strings.Join(p.Addresses, ", "))
	return nil
}

func propertyList(ctx context.Context, e env) error {
	fs, l := flags("property list", e)
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	props, err := a.st.Properties(ctx)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(props), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "SLUG\tNAME\tADDRESSES\tFROM")
		for _, p := range props {
			fmt.Fprintf(w, "%s\t%s\t%s\t%q <%s>\n", p.Slug, p.Name, strings.Join(p.Addresses, ","), p.FromName, p.FromAddress)
		}
	})
}

func memberAdd(ctx context.Context, e env) error {
	var email, name, role, as *string
	a, p, err := openForProperty(ctx, e, "member add", func(fs *flag.FlagSet) {
		email = fs.String("email", "", "the member's address (required)")
		name = fs.String("name", "", "display name")
		role = fs.String("role", "agent", "agent or admin")
		as = fs.String("as", "", "the admin who adds her (needed once the property has an admin)")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	if err := required(map[string]string{"email": *email}); err != nil {
		return err
	}
	m := ticket.Member{Email: strings.TrimSpace(*email), Name: *name, Role: ticket.Role(strings.ToLower(strings.TrimSpace(*role)))}
	if err := m.Validate(); err != nil {
		return flagErrors(err)
	}
	dk, actor, err := teamDesk(ctx, e, a, p, *as)
	if err != nil {
		return err
	}
	if m, err = dk.AddMember(ctx, p, actor, m); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "added %s %s to %s\n", m.Role, m.Email, p.Slug)
	return nil
}

func memberList(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "member list", nil)
	if err != nil {
		return err
	}
	defer a.st.Close()
	members, err := a.st.Members(ctx, p.Slug)
	if err != nil {
		return err
	}
	return printMembers(a, e, members)
}

// printMembers prints members with their role, availability and capacity
// (0: no cap, shown as -).
func printMembers(a *admin, e env, members []ticket.Member) error {
	return a.print(e.stdout, nonNil(members), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "EMAIL\tNAME\tROLE\tAVAILABLE\tCAPACITY")
		for _, m := range members {
			capacity := "-"
			if m.Capacity > 0 {
				capacity = fmt.Sprint(m.Capacity)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\n", m.Email, m.Name, m.Role, m.Available, capacity)
		}
	})
}

func departmentAdd(ctx context.Context, e env) error {
	var name, members, as *string
	var isDefault *bool
	a, p, err := openForProperty(ctx, e, "department add", func(fs *flag.FlagSet) {
		name = fs.String("name", "", "department name (required)")
		members = fs.String("members", "", "member addresses, comma-separated")
		isDefault = fs.Bool("default", false, "make it the property's default department")
		as = fs.String("as", "", "the admin who adds it (needed once the property has an admin)")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	if err := required(map[string]string{"name": *name}); err != nil {
		return err
	}
	d := ticket.Department{Name: *name, IsDefault: *isDefault, Members: splitList(*members)}
	if err := d.Validate(); err != nil {
		return flagErrors(err)
	}
	dk, actor, err := teamDesk(ctx, e, a, p, *as)
	if err != nil {
		return err
	}
	if _, err := dk.AddDepartment(ctx, p, actor, d); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "added department %q to %s with %d members\n", d.Name, p.Slug, len(d.Members))
	return nil
}

func departmentList(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "department list", nil)
	if err != nil {
		return err
	}
	defer a.st.Close()
	deps, err := a.st.Departments(ctx, p.Slug)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(deps), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "NAME\tDEFAULT\tMEMBERS")
		for _, d := range deps {
			fmt.Fprintf(w, "%s\t%v\t%s\n", d.Name, d.IsDefault, strings.Join(d.Members, ","))
		}
	})
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// flagErrors names each field of a validation error by its flag, one
// problem a line: `--email: "x" is not an email address (no @)`.
func flagErrors(err error) error {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var fe *ticket.FieldError
		if errors.As(e, &fe) {
			e = fmt.Errorf("--%s: %w", fe.Field, fe.Err)
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// nonNil makes an empty list print as [] in JSON, not null.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
