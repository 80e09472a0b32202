package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

const memberColumns = `m.id, m.property_id, m.email, m.name, m.role, m.created_at, m.available, m.capacity`

func scanMember(r scanner) (ticket.Member, error) {
	var m ticket.Member
	var role string
	var created int64
	err := r.Scan(&m.ID, &m.PropertyID, &m.Email, &m.Name, &role, &created, &m.Available, &m.Capacity)
	m.Role, m.CreatedAt = ticket.Role(role), fromMS(created)
	return m, err
}

// AddMember adds an agent or admin to the property with the given slug, and
// to the property's default department, and records who did (by) in the
// property's audit log.
func (s *Store) AddMember(ctx context.Context, slug string, m ticket.Member, by string) (ticket.Member, error) {
	p, err := s.Property(ctx, slug)
	if err != nil {
		return m, fmt.Errorf("add member: %w", err)
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("add member: %w", err)
	}
	m.PropertyID = p.ID
	m.Email = strings.ToLower(strings.TrimSpace(m.Email))
	m.CreatedAt = s.now().UTC()
	err = s.Update(ctx, func(tx *Tx) error {
		found, err := tx.exists(`SELECT 1 FROM members WHERE property_id = ? AND email = ?`, p.ID, m.Email)
		if err != nil || found {
			return existsErr(err, fmt.Errorf("member %s: %w", m.Email, ErrExists))
		}
		m.Available = true
		err = tx.queryRow(`INSERT INTO members (property_id, email, name, role, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, p.ID, m.Email, m.Name, string(m.Role), ms(m.CreatedAt)).Scan(&m.ID)
		if err != nil {
			return err
		}
		_, err = tx.exec(`INSERT INTO department_members (department_id, member_id)
			SELECT id, ? FROM departments WHERE property_id = ? AND is_default = 1`, m.ID, p.ID)
		if err != nil {
			return err
		}
		return tx.Audit(p.ID, by, "member added", fmt.Sprintf("%s (%s, %s)", m.Email, m.Name, m.Role))
	})
	s.cache.clear()
	if err != nil {
		return m, fmt.Errorf("add member: %w", err)
	}
	return m, nil
}

// Members lists the members of a property.
func (s *Store) Members(ctx context.Context, slug string) ([]ticket.Member, error) {
	rows, err := s.query(ctx, `SELECT `+memberColumns+`
		FROM members m JOIN properties p ON p.id = m.property_id WHERE p.slug = ? ORDER BY m.id`, slug)
	return collect("list members", rows, err, scanMember)
}

// Members returns members of a property by id.
func (tx *Tx) Members(propertyID int64, ids ...int64) ([]ticket.Member, error) {
	var out []ticket.Member
	for _, id := range ids {
		m, ok, err := tx.memberWhere(`m.property_id = ? AND m.id = ?`, propertyID, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// DepartmentMembers returns the members of a department.
func (tx *Tx) DepartmentMembers(departmentID int64) ([]ticket.Member, error) {
	return tx.members(`SELECT `+memberColumns+` FROM department_members dm
		JOIN members m ON m.id = dm.member_id WHERE dm.department_id = ? ORDER BY m.id`, departmentID)
}

// InvolvedMembers returns the members involved in a ticket: its assignee and
// every member who wrote in it.
func (tx *Tx) InvolvedMembers(t ticket.Ticket) ([]ticket.Member, error) {
	return tx.members(`SELECT `+memberColumns+` FROM members m WHERE m.property_id = ? AND (m.id = ?
		OR m.id IN (SELECT author_id FROM messages WHERE ticket_id = ? AND direction = 'outbound')) ORDER BY m.id`,
		t.PropertyID, t.AssigneeID, t.ID)
}

func (tx *Tx) memberWhere(where string, args ...any) (ticket.Member, bool, error) {
	l, err := tx.members(`SELECT `+memberColumns+` FROM members m WHERE `+where, args...)
	if err != nil || len(l) == 0 {
		return ticket.Member{}, false, err
	}
	return l[0], true, nil
}

func (tx *Tx) members(query string, args ...any) ([]ticket.Member, error) {
	rows, err := tx.query(query, args...)
	return collect("members", rows, err, scanMember)
}
