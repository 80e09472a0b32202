package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Full-text search runs on SQLite FTS5 (https://sqlite.org/fts5.html) with
// the unicode61 tokenizer and remove_diacritics 2, so that words match
// whatever their case and accents: "nao" finds "não", "CAFE" finds "Café".
// The indexes (message_fts, contact_fts) are external-content tables kept
// in the transaction that writes the row: an insert queues the row in
// fts_pending and flushSearch indexes the queue right before the commit
// (migration 0024: one FTS5 flush a transaction, not one a statement);
// updates and deletes of indexed rows change the index by trigger.

// Search limits: a query is a few words typed by a person.
const (
	maxSearchWords = 16
	maxSearchBytes = 512
)

// A search reads at most the newest SearchWindow matching messages and
// SearchContacts matching contacts of the property searched (FTS5 gives
// matches newest first, by rowid, and each is kept when its row is the
// property's, found by primary key): a word found in most mail ("não")
// costs what a rare one costs, and lists the tickets of its newest
// matches. A person who needs older ones adds a word. The window is the
// property's own, so another property's mail never pushes its matches out
// (one property's traffic must not decide, or reveal itself in, what
// another's search finds); matches of other properties are read past,
// which costs a property whose words are common in a busier one.
const (
	SearchWindow   = 2000
	SearchContacts = 500
)

// searchTerm is the WHERE term of a search: a ticket with one of the
// property's newest SearchWindow matching messages, or whose requester's
// name or address is one of the property's newest SearchContacts matches.
// Its arguments are the FTS5 query and the property's id, twice. CROSS
// JOIN keeps the index first, read in its rowid order (no sort), so LIMIT
// stops the walk.
func searchTerm() string {
	return `(t.id IN (SELECT m.ticket_id FROM message_fts f CROSS JOIN messages m ON m.id = f.rowid
		WHERE message_fts MATCH ? AND m.property_id = ? ORDER BY f.rowid DESC LIMIT ` + strconv.Itoa(SearchWindow) + `)
	OR t.requester_id IN (SELECT c.id FROM contact_fts g CROSS JOIN contacts c ON c.id = g.rowid
		WHERE contact_fts MATCH ? AND c.property_id = ? ORDER BY g.rowid DESC LIMIT ` + strconv.Itoa(SearchContacts) + `))`
}

// SearchQuery turns what a person typed into an FTS5 query that cannot be
// a syntax error. Each whitespace-separated word is cut into tokens as the
// unicode61 tokenizer cuts text (runs of letters, digits and marks), and
// each token becomes a quoted string (FTS5 §3.1), so operators such as
// AND, NEAR, ( or : are only text; every token must match (in any order:
// "jose@customer.test" is jose, customer and test). A word ending in *
// makes its last token a prefix (FTS5 §3.3: "foo"*). Control characters
// and invalid UTF-8 are spaces; a query with no token is an error
// (ErrBadFilter), as is one of more than 16 words, 32 tokens or 512 bytes.
func SearchQuery(s string) (string, error) {
	if len(s) > maxSearchBytes {
		return "", fmt.Errorf("search: at most %d bytes: %w", maxSearchBytes, ErrBadFilter)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	words := strings.Fields(s)
	if len(words) > maxSearchWords {
		return "", fmt.Errorf("search: at most %d words: %w", maxSearchWords, ErrBadFilter)
	}
	var terms []string
	for _, w := range words {
		tokens := strings.FieldsFunc(w, func(r rune) bool { return !tokenRune(r) })
		for i, tok := range tokens {
			term := `"` + tok + `"`
			if i == len(tokens)-1 && strings.HasSuffix(w, "*") {
				term += "*"
			}
			terms = append(terms, term)
		}
	}
	switch {
	case len(terms) == 0:
		return "", fmt.Errorf("search %q: no word to look for (letters or digits): %w", s, ErrBadFilter)
	case len(terms) > 2*maxSearchWords:
		return "", fmt.Errorf("search: at most %d words and %d tokens: %w", maxSearchWords, 2*maxSearchWords, ErrBadFilter)
	}
	return strings.Join(terms, " "), nil
}

// tokenRune tells whether r is part of a token for the unicode61
// tokenizer: a letter, a digit or other number, or a mark (its accents,
// which remove_diacritics then drops).
func tokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// flushSearch indexes the messages and contacts inserted in this
// transaction (queued in fts_pending by their insert triggers), then
// empties the queue. The store calls it right before each commit. On
// PostgreSQL the search columns are generated with their rows and there is
// nothing to flush (migrations/postgres/0024).
func (d dialect) flushSearch(tx *sql.Tx) error {
	if d == postgres {
		return nil
	}
	for _, q := range []string{
		`INSERT INTO message_fts(rowid, subject, text_body, author_name, author_email)
			SELECT m.id, m.subject, m.text_body, m.author_name, m.author_email
			FROM fts_pending p JOIN messages m ON m.id = p.id WHERE p.kind = 'm'`,
		`INSERT INTO contact_fts(rowid, name, email)
			SELECT c.id, c.name, c.email FROM fts_pending p JOIN contacts c ON c.id = p.id WHERE p.kind = 'c'`,
		`DELETE FROM fts_pending`,
	} {
		if _, err := tx.Exec(q); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}
