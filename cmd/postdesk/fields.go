package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// fieldAdd defines a custom field of tickets or contacts.
func fieldAdd(ctx context.Context, e env) error {
	var target, typ *string
	var choices listFlag
	c, err := openDesk(ctx, e, "field add", true, 1, func(fs *flag.FlagSet) {
		target = fs.String("for", "", "what the field describes: ticket or contact")
		typ = fs.String("type", "text", "the type of its values: text, number, date (YYYY-MM-DD) or choice")
		fs.Var(&choices, "choice", "one value a choice field may take (repeat the flag for each)")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	f := ticket.Field{Name: strings.TrimSpace(c.pos[0]), Choices: choices}
	if f.For, err = ticket.ParseFieldTarget(*target); err != nil {
		return fmt.Errorf("--for: %w", err)
	}
	if f.Type, err = ticket.ParseFieldType(*typ); err != nil {
		return fmt.Errorf("--type: %w", err)
	}
	if f, err = c.desk.AddField(ctx, c.prop, c.actor, f); err != nil {
		return err
	}
	return printFields(c, e, []ticket.Field{f})
}

// fieldList lists the custom fields of a property.
func fieldList(ctx context.Context, e env) error {
	return listOf(ctx, e, "field list", func(ctx context.Context, c *deskCmd) ([]ticket.Field, error) {
		return c.st.Fields(ctx, c.prop.ID)
	}, "FOR\tNAME\tTYPE\tCHOICES", fieldRow)
}

func printFields(c *deskCmd, e env, fields []ticket.Field) error {
	return c.print(e.stdout, fields, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "FOR\tNAME\tTYPE\tCHOICES")
		for _, f := range fields {
			fmt.Fprintln(w, fieldRow(f))
		}
	})
}

// ticketField sets (or, with an empty value, clears) a custom field of a
// ticket.
func ticketField(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "ticket field", true, 3, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.SetField(t, c.pos[1], c.pos[2]) })
}

// writeFields prints custom fields as "Fields: a=1  b=2", if there are any.
func writeFields(w io.Writer, fields map[string]string) {
	if len(fields) == 0 {
		return
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, k+"="+fields[k])
	}
	fmt.Fprintf(w, "Fields: %s\n", cell(strings.Join(parts, "  ")))
}

// fieldRow is a field's line in a table of fields.
func fieldRow(f ticket.Field) string {
	return fmt.Sprintf("%s\t%s\t%s\t%s", f.For, cell(f.Name), f.Type, cell(orDash(strings.Join(f.Choices, ", "))))
}
