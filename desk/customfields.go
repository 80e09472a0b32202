package desk

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// AddField defines a custom field of prop's tickets or contacts. Only
// admins define fields; every member sets their values.
func (d *Desk) AddField(ctx context.Context, prop ticket.Property, a Actor, f ticket.Field) (ticket.Field, error) {
	err := d.Run(ctx, prop, a, func(o *Op) error {
		if err := o.Actor.admin("define custom fields"); err != nil {
			return err
		}
		f.PropertyID = prop.ID
		if err := f.Validate(); err != nil {
			return &opError{ErrInvalid, err.Error()}
		}
		err := o.Tx.AddField(&f)
		if errors.Is(err, store.ErrFieldExists) {
			return invalid("%s already has a %s field %q", prop.Slug, f.For, f.Name)
		}
		if err != nil {
			return err
		}
		return o.audit("field added", fmt.Sprintf("%s field %q (%s)", f.For, f.Name, f.Type))
	})
	return f, err
}

// field returns the property's field of this name for target.
func (o *Op) field(target ticket.FieldTarget, name string) (ticket.Field, error) {
	f, found, err := o.Tx.Field(o.Prop().ID, target, name)
	if err != nil {
		return f, err
	}
	if !found {
		return f, invalid("%s has no %s field %q (postdesk field list shows them)", o.Prop().Slug, target, name)
	}
	return f, nil
}

// SetField sets t's custom field name to value, validated by the field's
// type and stored in its canonical form; an empty value clears it. The
// event names the field, the old and the new value. t.Fields holds every
// field of t afterwards.
func (o *Op) SetField(t *ticket.Ticket, name, value string) error {
	if err := o.Actor.team("set a ticket's fields"); err != nil {
		return err
	}
	if err := Movable(*t, "change"); err != nil {
		return err
	}
	f, err := o.field(ticket.FieldForTicket, name)
	if err != nil {
		return err
	}
	v, err := f.Value(value)
	if err != nil {
		return &opError{ErrInvalid, err.Error()}
	}
	if t.Fields, err = o.Tx.FieldValues(o.Prop().ID, ticket.FieldForTicket, t.ID); err != nil {
		return err
	}
	old := t.Fields[f.Name]
	if old == v {
		return nil
	}
	if err := o.Tx.SetFieldValue(f.ID, t.ID, v); err != nil {
		return err
	}
	if err := o.Tx.Touch(t.ID); err != nil {
		return err
	}
	t.Fields = setValue(t.Fields, f.Name, v)
	return o.event(t, "field", fmt.Sprintf("%s: %q → %q", f.Name, old, v))
}

// SetContactField sets the custom field name of the contact with address
// email, as SetField does for tickets, and returns the contact with its
// fields. Contacts keep no event log: the change is recorded as a note on
// the contact, naming the field, the old and the new value.
func (d *Desk) SetContactField(ctx context.Context, prop ticket.Property, a Actor, email, name, value string) (ticket.Contact, error) {
	var out ticket.Contact
	err := d.Run(ctx, prop, a, func(o *Op) error {
		if err := o.Actor.team("set a contact's fields"); err != nil {
			return err
		}
		c, err := o.contact(email)
		if err != nil {
			return err
		}
		f, err := o.field(ticket.FieldForContact, name)
		if err != nil {
			return err
		}
		v, err := f.Value(value)
		if err != nil {
			return &opError{ErrInvalid, err.Error()}
		}
		if c.Fields, err = o.Tx.FieldValues(o.Prop().ID, ticket.FieldForContact, c.ID); err != nil {
			return err
		}
		out = c
		old := c.Fields[f.Name]
		if old == v {
			return nil
		}
		if err := o.Tx.SetFieldValue(f.ID, c.ID, v); err != nil {
			return err
		}
		out.Fields = setValue(c.Fields, f.Name, v)
		return o.Tx.AddContactNote(c.ID, o.Actor.String(), fmt.Sprintf("field %s: %q → %q", f.Name, old, v))
	})
	return out, err
}

// setValue returns fields with name set to v (removed when v is empty).
func setValue(fields map[string]string, name, v string) map[string]string {
	out := maps.Clone(fields)
	if out == nil {
		out = map[string]string{}
	}
	if v == "" {
		delete(out, name)
	} else {
		out[name] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
