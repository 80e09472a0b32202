package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Full-text search is accent- and case-insensitive in both dialects:
// "nao" finds "não", "CAFE" finds "Café"; every word must match, in any
// order. On SQLite it runs on FTS5 (https://sqlite.org/fts5.html) with the
// unicode61 tokenizer and remove_diacritics 2; the indexes (message_fts,
// contact_fts) are external-content tables kept in the transaction that
// writes the row: an insert queues the row in fts_pending and flushSearch
// indexes the queue right before the commit (migration 0024: one FTS5
// flush a transaction, not one a statement); updates and deletes of
// indexed rows change the index by trigger. On PostgreSQL each message and
// contact keeps a tsvector in a stored generated column with a GIN index
// (migration 0022: the 'simple' configuration over search_text, the text
// without accents and with its punctuation made spaces, cut as unicode61
// cuts it), which follows the row as it is written: nothing to flush.

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

// searchTerm is the WHERE term of a search of a property's tickets, and
// its arguments: a ticket with one of the property's newest SearchWindow
// matching messages, or whose requester's name or address is one of the
// property's newest SearchContacts matches. It is the one place where the
// dialects' searches differ. On SQLite, CROSS JOIN keeps the FTS5 index
// first, read in its rowid order (no sort), so LIMIT stops the walk; on
// PostgreSQL the GIN index finds the matches and the newest are kept.
func (d dialect) searchTerm(q searchQuery, propertyID int64) (string, []any) {
	if d == postgres {
		match, args := q.tsquery()
		term := `(t.id IN (SELECT m.ticket_id FROM messages m
		WHERE m.search_vector @@ ` + match + ` AND m.property_id = ? ORDER BY m.id DESC LIMIT ` + strconv.Itoa(SearchWindow) + `)
	OR t.requester_id IN (SELECT c.id FROM contacts c
		WHERE c.search_vector @@ ` + match + ` AND c.property_id = ? ORDER BY c.id DESC LIMIT ` + strconv.Itoa(SearchContacts) + `))`
		all := append(append([]any{}, args...), propertyID)
		return term, append(append(all, args...), propertyID)
	}
	match := q.fts5()
	return `(t.id IN (SELECT m.ticket_id FROM message_fts f CROSS JOIN messages m ON m.id = f.rowid
		WHERE message_fts MATCH ? AND m.property_id = ? ORDER BY f.rowid DESC LIMIT ` + strconv.Itoa(SearchWindow) + `)
	OR t.requester_id IN (SELECT c.id FROM contact_fts g CROSS JOIN contacts c ON c.id = g.rowid
		WHERE contact_fts MATCH ? AND c.property_id = ? ORDER BY g.rowid DESC LIMIT ` + strconv.Itoa(SearchContacts) + `))`,
		[]any{match, propertyID, match, propertyID}
}

// searchQuery is what a person typed, cut into tokens (parseSearch).
type searchQuery []searchToken

// searchToken is one token of a search: a run of letters, digits and
// marks; a prefix matches the start of a word.
type searchToken struct {
	text   string
	prefix bool
}

// SearchQuery turns what a person typed into an FTS5 query that cannot be
// a syntax error (see parseSearch): each token becomes a quoted string
// (FTS5 §3.1), so operators such as AND, NEAR, ( or : are only text, and
// a prefix token is followed by * (FTS5 §3.3: "foo"*).
func SearchQuery(s string) (string, error) {
	q, err := parseSearch(s)
	if err != nil {
		return "", err
	}
	return q.fts5(), nil
}

// fts5 is q as an FTS5 query.
func (q searchQuery) fts5() string {
	terms := make([]string, len(q))
	for i, tok := range q {
		terms[i] = `"` + tok.text + `"`
		if tok.prefix {
			terms[i] += "*"
		}
	}
	return strings.Join(terms, " ")
}

// tsquery is q as a PostgreSQL tsquery expression, and its arguments: the
// whole-word tokens, space-separated, through plainto_tsquery (which reads
// no operators: every lexeme must match), and the prefix tokens the same
// way, each of their lexemes then marked :* (a lexeme of search_text holds
// no quote, so its text form is 'lexeme', and :* follows the closing
// quote). Nothing typed is ever part of the SQL.
func (q searchQuery) tsquery() (string, []any) {
	var words, prefixes []string
	for _, tok := range q {
		if tok.prefix {
			prefixes = append(prefixes, tok.text)
		} else {
			words = append(words, tok.text)
		}
	}
	var parts []string
	var args []any
	if len(words) > 0 {
		parts = append(parts, `plainto_tsquery('simple', search_text(?))`)
		args = append(args, strings.Join(words, " "))
	}
	if len(prefixes) > 0 {
		parts = append(parts, `replace(plainto_tsquery('simple', search_text(?))::text || ' ', ''' ', ''':* ')::tsquery`)
		args = append(args, strings.Join(prefixes, " "))
	}
	return "(" + strings.Join(parts, " && ") + ")", args
}

// parseSearch cuts what a person typed into tokens. Each
// whitespace-separated word is cut as the unicode61 tokenizer (and
// PostgreSQL's search_text) cut text, into runs of letters, digits and
// marks; every token must match, in any order ("jose@customer.test" is
// jose, customer and test). A word ending in * makes its last token a
// prefix. Control characters and invalid UTF-8 are spaces; a query with no
// token is an error (ErrBadFilter), as is one of more than 16 words, 32
// tokens or 512 bytes.
func parseSearch(s string) (searchQuery, error) {
	if len(s) > maxSearchBytes {
		return nil, fmt.Errorf("search: at most %d bytes: %w", maxSearchBytes, ErrBadFilter)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	words := strings.Fields(s)
	if len(words) > maxSearchWords {
		return nil, fmt.Errorf("search: at most %d words: %w", maxSearchWords, ErrBadFilter)
	}
	var q searchQuery
	for _, w := range words {
		tokens := strings.FieldsFunc(w, func(r rune) bool { return !tokenRune(r) })
		for i, tok := range tokens {
			q = append(q, searchToken{text: tok, prefix: i == len(tokens)-1 && strings.HasSuffix(w, "*")})
		}
	}
	switch {
	case len(q) == 0:
		return nil, fmt.Errorf("search %q: no word to look for (letters or digits): %w", s, ErrBadFilter)
	case len(q) > 2*maxSearchWords:
		return nil, fmt.Errorf("search: at most %d words and %d tokens: %w", maxSearchWords, 2*maxSearchWords, ErrBadFilter)
	}
	return q, nil
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
// PostgreSQL the index follows the rows: there is no queue.
func (s *Store) flushSearch(ctx context.Context, tx *sql.Tx) error {
	for _, q := range s.dialect.searchFlush() {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}
