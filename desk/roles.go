package desk

import (
	"context"
	"fmt"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Roles (issue 11 item 9): admins manage the property, its members and
// departments (and, with the other parts of the desk, SLA policies and
// topics), and delete tickets; agents do the rest. A property without an
// admin yet lets anyone manage its team: that is how its first admin is
// made (ManageTeam).

// MaxCapacity bounds a member's capacity of open tickets.
const MaxCapacity = 10000

// MemberChange is what `member set` changes; nil fields stay as they are.
type MemberChange struct {
	Available *bool
	Capacity  *int // 0: no cap
	Role      *ticket.Role
}

// ManageTeam checks that a may manage prop's members and departments (what
// names the change, "add members"): an admin, or anyone while prop has no
// admin.
func (d *Desk) ManageTeam(ctx context.Context, prop ticket.Property, a Actor, what string) error {
	has, err := d.st.HasAdmin(ctx, prop.ID)
	if err != nil || !has {
		return err
	}
	if a.Kind == "" {
		return forbidden("%s has an admin: only an admin may %s (--as ADMIN-EMAIL)", prop.Slug, what)
	}
	if err := a.check(prop); err != nil {
		return err
	}
	return a.admin(what)
}

// SetMember changes a member's availability, capacity or role, as an admin
// (ManageTeam). The last admin of a property stays one.
func (d *Desk) SetMember(ctx context.Context, prop ticket.Property, a Actor, email string, ch MemberChange) (ticket.Member, error) {
	var out ticket.Member
	if err := d.ManageTeam(ctx, prop, a, "change members"); err != nil {
		return out, err
	}
	if ch.Capacity != nil && (*ch.Capacity < 0 || *ch.Capacity > MaxCapacity) {
		return out, invalid("capacity %d: want 0 (no cap) to %d", *ch.Capacity, MaxCapacity)
	}
	if ch.Role != nil {
		if _, err := ticket.ParseRole(string(*ch.Role)); err != nil {
			return out, invalid("%v", err)
		}
	}
	if a.Kind == "" {
		a = AsSystem("team setup") // a property without an admin yet
	}
	err := d.Run(ctx, prop, a, func(o *Op) error {
		m, found, err := o.Tx.MemberByEmail(prop.ID, email)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("member %s of %s: %w", email, prop.Slug, ErrNotFound)
		}
		if err := lastAdmin(o.Tx, m, ch); err != nil {
			return err
		}
		if ch.Available != nil {
			m.Available = *ch.Available
		}
		if ch.Capacity != nil {
			m.Capacity = *ch.Capacity
		}
		if ch.Role != nil {
			m.Role = *ch.Role
		}
		out = m
		if err := o.Tx.UpdateMember(m); err != nil {
			return err
		}
		return o.audit("member changed", fmt.Sprintf("%s: role %s, available %v, capacity %d", m.Email, m.Role, m.Available, m.Capacity))
	})
	if err == nil {
		d.log.Info("member changed", "property", prop.Slug, "member", out.Email, "by", a.String(),
			"available", out.Available, "capacity", out.Capacity, "role", out.Role)
	}
	return out, err
}

// lastAdmin refuses to make the last admin of a property an agent.
func lastAdmin(tx *store.Tx, m ticket.Member, ch MemberChange) error {
	if ch.Role == nil || *ch.Role == ticket.RoleAdmin || m.Role != ticket.RoleAdmin {
		return nil
	}
	n, err := tx.CountAdmins(m.PropertyID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return invalid("%s is the last admin; make another member an admin first", m.Email)
	}
	return nil
}

// SetAssignOnAnswer turns prop's assign-on-answer setting on or off, as an
// admin.
func (d *Desk) SetAssignOnAnswer(ctx context.Context, prop ticket.Property, a Actor, on bool) error {
	if err := a.admin("change the property's settings"); err != nil {
		return err
	}
	err := d.Run(ctx, prop, a, func(o *Op) error {
		if err := o.Tx.SetAssignOnAnswer(prop.ID, on); err != nil {
			return err
		}
		return o.audit("property changed", fmt.Sprintf("assign-on-answer %v", on))
	})
	if err == nil {
		d.log.Info("property changed", "property", prop.Slug, "assign_on_answer", on, "by", a.String())
	}
	return err
}
