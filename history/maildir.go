package history

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maildir reads the messages of a Maildir's cur/ and new/ (tmp/ holds mail
// still being written). They are read in the order of their unique names
// (which begin with the delivery time), without the ":2,flags" info a
// mail client adds, so that a message moved from new/ to cur/ keeps its
// place; the position is the last name read.
type maildir struct {
	files   []maildirFile
	next    int
	maxSize int64
}

type maildirFile struct {
	path, name string
}

// IsMaildir reports whether dir looks like a Maildir: it has cur/ or new/.
func IsMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// OpenMaildir lists a Maildir's messages, skipping those up to and
// including the name position ("" for none).
func OpenMaildir(dir, position string, maxSize int64) (Source, error) {
	if !IsMaildir(dir) {
		return nil, fmt.Errorf("%s is not a Maildir: it has neither cur/ nor new/", dir)
	}
	m := &maildir{maxSize: maxSize}
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			name, _, _ := strings.Cut(e.Name(), ":")
			if position != "" && name <= position {
				continue
			}
			m.files = append(m.files, maildirFile{path: filepath.Join(dir, sub, e.Name()), name: name})
		}
	}
	sort.Slice(m.files, func(i, j int) bool { return m.files[i].name < m.files[j].name })
	return m, nil
}

func (m *maildir) Next() (Message, error) {
	if m.next >= len(m.files) {
		return Message{}, io.EOF
	}
	f := m.files[m.next]
	m.next++
	msg := Message{Position: f.name, Where: f.path}
	st, err := os.Stat(f.path)
	if err != nil {
		return Message{}, err
	}
	msg.Received = st.ModTime().UTC()
	if m.maxSize > 0 && st.Size() > m.maxSize {
		msg.TooLarge = true
		return msg, nil
	}
	if msg.Raw, err = os.ReadFile(f.path); err != nil {
		return Message{}, err
	}
	msg.From = returnPath(msg.Raw)
	return msg, nil
}

func (m *maildir) Progress() (int64, int64) { return int64(m.next), int64(len(m.files)) }

func (m *maildir) Close() error { return nil }

// returnPath is the envelope sender the delivering MTA recorded in the
// Return-Path field (RFC 5322 §3.6.7): "" when there is none, "<>" for the
// null sender.
func returnPath(raw []byte) string {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return ""
	}
	v := strings.TrimSpace(h.Get("Return-Path"))
	if v == "<>" {
		return v
	}
	return strings.Trim(v, "<>")
}
