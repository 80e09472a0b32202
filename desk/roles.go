package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

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

// Unnamed is an actor no member vouches for: the CLI run without --as,
// where what says who runs it ("team setup by root"). It may only set up a
// property that has no admin yet (ManageTeam); every other operation
// refuses it.
func Unnamed(what string) Actor { return Actor{System: what} }

// teamActor is who a team change records: the member acting, or, on a
// property without an admin yet, postdesk setting up the team.
func teamActor(a Actor) Actor {
	if a.Kind != "" {
		return a
	}
	return AsSystem(cmp.Or(a.System, "team setup"))
}

// AddMember adds an agent or admin to prop (and to its default
// department), as an admin, or as anyone while prop has no admin
// (ManageTeam): that is how its first admin is made.
func (d *Desk) AddMember(ctx context.Context, prop ticket.Property, a Actor, m ticket.Member) (ticket.Member, error) {
	if err := d.ManageTeam(ctx, prop, a, "add members"); err != nil {
		return m, err
	}
	m.Email = strings.TrimSpace(m.Email)
	m.Role = ticket.Role(strings.ToLower(strings.TrimSpace(string(m.Role))))
	if err := m.Validate(); err != nil {
		return m, &opError{ErrInvalid, err.Error()}
	}
	by := teamActor(a)
	out, err := d.st.AddMember(ctx, prop.Slug, m, by.String())
	if errors.Is(err, store.ErrExists) {
		return m, &opError{ErrExists, fmt.Sprintf("%s is already a member of %s", m.Email, prop.Slug)}
	}
	if err == nil {
		d.log.Info("member added", "property", prop.Slug, "member", out.Email, "role", out.Role, "by", by.String())
	}
	return out, err
}

// AddDepartment adds a department to prop, as an admin, or as anyone
// while prop has no admin (ManageTeam).
func (d *Desk) AddDepartment(ctx context.Context, prop ticket.Property, a Actor, dep ticket.Department) (ticket.Department, error) {
	if err := d.ManageTeam(ctx, prop, a, "add departments"); err != nil {
		return dep, err
	}
	dep.Name = strings.TrimSpace(dep.Name)
	if err := dep.Validate(); err != nil {
		return dep, &opError{ErrInvalid, err.Error()}
	}
	by := teamActor(a)
	out, err := d.st.AddDepartment(ctx, prop.Slug, dep, by.String())
	if errors.Is(err, store.ErrExists) {
		return dep, &opError{ErrExists, fmt.Sprintf("%s already has a department %q", prop.Slug, dep.Name)}
	}
	if err == nil {
		d.log.Info("department added", "property", prop.Slug, "department", out.Name, "by", by.String())
	}
	return out, err
}
