package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// The rows of assignment: the round-robin rotation of each department,
// members' availability, capacity and role, the assign-on-answer setting
// and the property's spam senders. Who may change them and what a change
// means are the desk's.

// NextInRotation returns the member of a department who takes its next
// new ticket: among its members marked available whose count of assigned
// tickets in one of the open statuses is below their capacity (0: no
// cap), the first after the member given the department's last ticket, in
// member id order, wrapping around. found is false when nobody is eligible.
func (tx *Tx) NextInRotation(departmentID int64, open []ticket.Status) (m ticket.Member, found bool, err error) {
	if len(open) == 0 {
		return m, false, fmt.Errorf("next in rotation: no open statuses")
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(open)), ", ")
	args := []any{departmentID}
	for _, s := range open {
		args = append(args, string(s))
	}
	args = append(args, departmentID)
	m, found, err = tx.memberWhere(`m.available = 1
		AND m.id IN (SELECT member_id FROM department_members WHERE department_id = ?)
		AND (m.capacity = 0 OR m.capacity > (SELECT COUNT(*) FROM tickets t
			WHERE t.assignee_id = m.id AND t.status IN (`+marks+`)))
		ORDER BY m.id > COALESCE((SELECT last_member_id FROM assignment_rotation WHERE department_id = ?), 0) DESC, m.id
		LIMIT 1`, args...)
	if err != nil {
		return m, false, fmt.Errorf("next in rotation: %w", err)
	}
	return m, found, nil
}

// SetRotation records that memberID was given the department's last new
// ticket.
func (tx *Tx) SetRotation(departmentID, memberID int64) error {
	_, err := tx.exec(`INSERT INTO assignment_rotation (department_id, last_member_id) VALUES (?, ?)
		ON CONFLICT (department_id) DO UPDATE SET last_member_id = excluded.last_member_id`, departmentID, memberID)
	if err != nil {
		return fmt.Errorf("set rotation: %w", err)
	}
	return nil
}

// UpdateMember writes a member's availability, capacity and role.
func (tx *Tx) UpdateMember(m ticket.Member) error {
	_, err := tx.exec(`UPDATE members SET available = ?, capacity = ?, role = ? WHERE id = ? AND property_id = ?`,
		m.Available, m.Capacity, string(m.Role), m.ID, m.PropertyID)
	if err != nil {
		return fmt.Errorf("update member: %w", err)
	}
	tx.s.cache.clear()
	return nil
}

// CountAdmins counts the admins of a property.
func (tx *Tx) CountAdmins(propertyID int64) (int, error) {
	var n int
	err := tx.queryRow(`SELECT COUNT(*) FROM members WHERE property_id = ? AND role = ?`, propertyID, string(ticket.RoleAdmin)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// HasAdmin reports whether a property has an admin.
func (s *Store) HasAdmin(ctx context.Context, propertyID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE property_id = ? AND role = ?`, propertyID, string(ticket.RoleAdmin)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count admins: %w", err)
	}
	return n > 0, nil
}

// DepartmentByName returns a department of a property by its name, in any
// letter case.
func (tx *Tx) DepartmentByName(propertyID int64, name string) (ticket.Department, bool, error) {
	var d ticket.Department
	found, err := tx.exists(`SELECT 1 FROM departments WHERE property_id = ? AND lower(name) = lower(?)`, propertyID, strings.TrimSpace(name))
	if err != nil || !found {
		return d, false, err
	}
	err = tx.queryRow(`SELECT id, property_id, name, is_default FROM departments
		WHERE property_id = ? AND lower(name) = lower(?) ORDER BY id LIMIT 1`, propertyID, strings.TrimSpace(name)).
		Scan(&d.ID, &d.PropertyID, &d.Name, &d.IsDefault)
	if err != nil {
		return d, false, fmt.Errorf("department %q: %w", name, err)
	}
	return d, true, nil
}

// SetAssignOnAnswer turns a property's assign-on-answer setting on or off.
func (tx *Tx) SetAssignOnAnswer(propertyID int64, on bool) error {
	if _, err := tx.exec(`UPDATE properties SET assign_on_answer = ? WHERE id = ?`, on, propertyID); err != nil {
		return fmt.Errorf("set assign on answer: %w", err)
	}
	tx.s.cache.clear()
	return nil
}

// MarkSpamSender records a base address as a spam sender of a property;
// marking it again changes nothing.
func (tx *Tx) MarkSpamSender(propertyID int64, addr, by string) error {
	_, err := tx.exec(`INSERT INTO spam_senders (property_id, address, marked_by, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (property_id, address) DO NOTHING`, propertyID, strings.ToLower(addr), by, ms(tx.Now()))
	if err != nil {
		return fmt.Errorf("mark spam sender: %w", err)
	}
	return nil
}

// UnmarkSpamSender forgets a spam sender.
func (tx *Tx) UnmarkSpamSender(propertyID int64, addr string) error {
	if _, err := tx.exec(`DELETE FROM spam_senders WHERE property_id = ? AND address = ?`, propertyID, strings.ToLower(addr)); err != nil {
		return fmt.Errorf("unmark spam sender: %w", err)
	}
	return nil
}

// RequesterSender returns the From address of the first mail the
// requester of a ticket wrote to it (inbound, authored by her contact), or
// false when she wrote none (a ticket opened by hand). Her contact is
// named by Reply-To when the mail had one, so this is the address the mail
// really came from; the spam rules mark and screen it, never Reply-To.
func (tx *Tx) RequesterSender(t ticket.Ticket) (string, bool, error) {
	var addr string
	err := tx.queryRow(`SELECT author_email FROM messages WHERE ticket_id = ? AND direction = 'inbound' AND author_id = ?
		ORDER BY id LIMIT 1`, t.ID, t.RequesterID).Scan(&addr)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("requester's sender: %w", err)
	}
	return addr, true, nil
}

// IsSpamSender reports whether a base address is a spam sender of a property.
func (tx *Tx) IsSpamSender(propertyID int64, addr string) (bool, error) {
	found, err := tx.exists(`SELECT 1 FROM spam_senders WHERE property_id = ? AND address = ?`, propertyID, strings.ToLower(addr))
	if err != nil {
		return false, fmt.Errorf("spam sender: %w", err)
	}
	return found, nil
}
