package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// DefaultDepartment is the name of the department every property starts with.
const DefaultDepartment = "Support"

// AddProperty creates a property with its inbound addresses and its default
// department. Addresses are stored lower-case; one address belongs to at most
// one property.
// The property is validated first (ticket.Property.Validate), with the
// defaults of ticket.Property.WithDefaults.
func (s *Store) AddProperty(ctx context.Context, p ticket.Property) (ticket.Property, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return ticket.Property{}, fmt.Errorf("add property: %w", err)
	}
	p.Addresses = append([]string(nil), p.Addresses...)
	err := s.Update(ctx, func(tx *Tx) error {
		if found, err := tx.exists(`SELECT 1 FROM properties WHERE slug = ?`, p.Slug); err != nil || found {
			return existsErr(err, fmt.Errorf("property %q: %w", p.Slug, ErrExists))
		}
		for i, a := range p.Addresses {
			p.Addresses[i] = strings.ToLower(strings.TrimSpace(a))
			found, err := tx.exists(`SELECT 1 FROM property_addresses WHERE address = ?`, p.Addresses[i])
			if err != nil || found {
				return existsErr(err, fmt.Errorf("address %s is used by another property: %w", a, ErrExists))
			}
		}
		p.CreatedAt, p.AssignOnAnswer = s.now().UTC(), true // on until an admin turns it off
		err := tx.queryRow(`INSERT INTO properties (slug, name, from_name, from_address, tag_format, ack_enabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.Slug, p.Name, p.FromName, p.FromAddress, p.TagFormat, p.AckEnabled, ms(p.CreatedAt)).Scan(&p.ID)
		if err != nil {
			return err
		}
		for _, a := range p.Addresses {
			if _, err := tx.exec(`INSERT INTO property_addresses (address, property_id) VALUES (?, ?)`, a, p.ID); err != nil {
				return err
			}
		}
		_, err = tx.exec(`INSERT INTO departments (property_id, name, is_default) VALUES (?, ?, 1)`, p.ID, DefaultDepartment)
		return err
	})
	s.cache.clear()
	if err != nil {
		return ticket.Property{}, fmt.Errorf("add property: %w", err)
	}
	return p, nil
}

const propertyColumns = `id, slug, name, from_name, from_address, tag_format, ack_enabled, created_at, assign_on_answer`

func scanProperty(row scanner) (ticket.Property, error) {
	var p ticket.Property
	var created int64
	err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.FromName, &p.FromAddress, &p.TagFormat, &p.AckEnabled, &created, &p.AssignOnAnswer)
	p.CreatedAt = fromMS(created)
	return p, err
}

// Properties lists every property with its addresses.
func (s *Store) Properties(ctx context.Context) ([]ticket.Property, error) {
	rows, err := s.query(ctx, `SELECT `+propertyColumns+` FROM properties ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list properties: %w", err)
	}
	defer rows.Close()
	var out []ticket.Property
	for rows.Next() {
		p, err := scanProperty(rows)
		if err != nil {
			return nil, fmt.Errorf("list properties: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list properties: %w", err)
	}
	for i := range out {
		if out[i].Addresses, err = s.propertyAddresses(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Property returns the property with the given slug.
func (s *Store) Property(ctx context.Context, slug string) (ticket.Property, error) {
	return s.propertyWhere(ctx, `slug = ?`, slug)
}

// PropertyByID returns the property with the given id.
func (s *Store) PropertyByID(ctx context.Context, id int64) (ticket.Property, error) {
	return s.propertyWhere(ctx, `id = ?`, id)
}

// PropertyByAddress returns the property an inbound address belongs to;
// the address is compared case-insensitively.
func (s *Store) PropertyByAddress(ctx context.Context, addr string) (ticket.Property, error) {
	return s.propertyWhere(ctx, `id = (SELECT property_id FROM property_addresses WHERE address = ?)`, strings.ToLower(addr))
}

func (s *Store) propertyWhere(ctx context.Context, where string, arg any) (ticket.Property, error) {
	p, err := scanProperty(s.queryRow(ctx, `SELECT `+propertyColumns+` FROM properties WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("property %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("get property: %w", err)
	}
	p.Addresses, err = s.propertyAddresses(ctx, p.ID)
	return p, err
}

func (s *Store) propertyAddresses(ctx context.Context, id int64) ([]string, error) {
	return queryStrings(ctx, s, `SELECT address FROM property_addresses WHERE property_id = ? ORDER BY address`, id)
}

// AddDepartment creates a department of the property with the given members
// (by email), and records who did (by) in the property's audit log. Making
// it the default takes that role from the previous one.
func (s *Store) AddDepartment(ctx context.Context, slug string, d ticket.Department, by string) (ticket.Department, error) {
	p, err := s.Property(ctx, slug)
	if err != nil {
		return d, fmt.Errorf("add department: %w", err)
	}
	if err := d.Validate(); err != nil {
		return d, fmt.Errorf("add department: %w", err)
	}
	d.PropertyID = p.ID
	err = s.Update(ctx, func(tx *Tx) error {
		found, err := tx.exists(`SELECT 1 FROM departments WHERE property_id = ? AND name = ?`, p.ID, d.Name)
		if err != nil || found {
			return existsErr(err, fmt.Errorf("department %q: %w", d.Name, ErrExists))
		}
		if d.IsDefault {
			if _, err := tx.exec(`UPDATE departments SET is_default = 0 WHERE property_id = ?`, p.ID); err != nil {
				return err
			}
		}
		if err := tx.queryRow(`INSERT INTO departments (property_id, name, is_default) VALUES (?, ?, ?) RETURNING id`,
			p.ID, d.Name, d.IsDefault).Scan(&d.ID); err != nil {
			return err
		}
		for _, email := range d.Members {
			res, err := tx.exec(`INSERT INTO department_members (department_id, member_id)
				SELECT ?, id FROM members WHERE property_id = ? AND email = ?`, d.ID, p.ID, strings.ToLower(email))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("member %s: %w", email, ErrNotFound)
			}
		}
		return tx.Audit(p.ID, by, "department added", fmt.Sprintf("%s (default: %v, members: %s)", d.Name, d.IsDefault, strings.Join(d.Members, ", ")))
	})
	if err != nil {
		return d, fmt.Errorf("add department: %w", err)
	}
	return d, nil
}

// Departments lists the departments of a property with their members.
func (s *Store) Departments(ctx context.Context, slug string) ([]ticket.Department, error) {
	rows, err := s.query(ctx, `SELECT d.id, d.property_id, d.name, d.is_default
		FROM departments d JOIN properties p ON p.id = d.property_id WHERE p.slug = ? ORDER BY d.id`, slug)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	var out []ticket.Department
	for rows.Next() {
		var d ticket.Department
		if err := rows.Scan(&d.ID, &d.PropertyID, &d.Name, &d.IsDefault); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list departments: %w", err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	for i := range out {
		out[i].Members, err = queryStrings(ctx, s, `SELECT m.email FROM department_members dm
			JOIN members m ON m.id = dm.member_id WHERE dm.department_id = ? ORDER BY m.email`, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("list departments: %w", err)
		}
	}
	return out, nil
}

func queryStrings(ctx context.Context, s *Store, query string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// exists reports whether query returns a row. Only sql.ErrNoRows means no
// row; any other error is returned.
func (tx *Tx) exists(query string, args ...any) (bool, error) {
	var one int
	switch err := tx.queryRow(query, args...).Scan(&one); {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	default:
		return false, err
	}
}

// existsErr returns the error of an exists check, or else taken: the
// error for a row that exists.
func existsErr(err, taken error) error {
	if err != nil {
		return err
	}
	return taken
}
