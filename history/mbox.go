// Package history imports the past of a support mailbox: it reads mail
// archives (mbox files, mboxo and mboxrd alike, and Maildirs) and hands
// their messages in batches to the ingest pipeline as history, recording in
// each batch's transaction how far it got so that an interrupted import
// resumes where it stopped.
package history

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Message is one message read from an archive.
type Message struct {
	Raw []byte
	// From is the envelope sender the archive records: "" when none,
	// "<>" for the null sender.
	From string
	// Received is the archive's date of the message (the mbox From line,
	// the Maildir file's modification time); zero when unknown.
	Received time.Time
	// Position is where the archive continues after this message; an
	// import resumed from it starts with the next message.
	Position string
	// TooLarge marks a message over the size limit: Raw is nil.
	TooLarge bool
	// Where names the message in the archive for logs (offset or file).
	Where string
}

// Source is an archive being read, one message at a time.
type Source interface {
	// Next returns the next message, or io.EOF after the last.
	Next() (Message, error)
	// Progress returns how far reading got and where it ends, in the
	// source's own unit (bytes of an mbox, files of a Maildir).
	Progress() (done, total int64)
	Close() error
}

// mbox reads an mbox file (RFC 4155): messages each begin with a "From "
// line at the start of the file or after an empty line. Body lines that
// begin with ">From " or ">>From " (and so on) were escaped by the writer
// and lose one ">" (mboxrd; mboxo escapes only the first level, which
// reads the same).
type mbox struct {
	f       *os.File
	r       *bufio.Reader
	off     int64 // offset of the next unread line
	size    int64
	maxSize int64
	pending []byte // the From line that begins the next message, read already
	pendOff int64  // its offset
}

// OpenMbox opens an mbox file, resuming at byte offset position (""
// for the start). A position that does not fall on a From line (the file
// was rewritten since) is an error.
func OpenMbox(path, position string, maxSize int64) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	m := &mbox{f: f, size: st.Size(), maxSize: maxSize}
	if position != "" {
		off, err := strconv.ParseInt(position, 10, 64)
		if err != nil || off < 0 || off > m.size {
			f.Close()
			return nil, fmt.Errorf("%s: checkpoint %q is not an offset in the file (%d bytes)", path, position, m.size)
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		m.off = off
	}
	m.r = bufio.NewReaderSize(f, 256<<10)
	if err := m.start(path); err != nil {
		f.Close()
		return nil, err
	}
	return m, nil
}

// start reads the first line, which must be a From line unless the file
// (or its rest) is empty or blank.
func (m *mbox) start(path string) error {
	for {
		at := m.off
		line, err := m.line()
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !bytes.HasPrefix(line, []byte("From ")) {
			return fmt.Errorf("%s is not an mbox file: no \"From \" line at offset %d", path, at)
		}
		m.pending, m.pendOff = line, at
		return nil
	}
}

// line reads one line with its line end.
func (m *mbox) line() ([]byte, error) {
	line, err := m.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		buf := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = m.r.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	m.off += int64(len(line))
	return line, err
}

// Next reads the message that starts with the pending From line, up to the
// next From line that follows an empty line, or the end of the file.
func (m *mbox) Next() (Message, error) {
	if m.pending == nil {
		return Message{}, io.EOF
	}
	msg := Message{Where: "offset " + strconv.FormatInt(m.pendOff, 10)}
	msg.From, msg.Received = fromLine(m.pending)
	m.pending = nil
	var body []byte
	blank := false // the previous line was empty
	for {
		at := m.off
		line, err := m.line()
		if len(line) > 0 {
			if blank && bytes.HasPrefix(line, []byte("From ")) {
				m.pending, m.pendOff = append([]byte(nil), line...), at
				break
			}
			blank = isBlank(line)
			if !msg.TooLarge {
				body = append(body, unescape(line)...)
				if m.maxSize > 0 && int64(len(body)) > m.maxSize {
					msg.TooLarge, body = true, nil
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return Message{}, err
			}
			break
		}
	}
	if !msg.TooLarge {
		msg.Raw = trimSeparator(body)
	}
	msg.Position = strconv.FormatInt(m.off, 10)
	if m.pending != nil {
		msg.Position = strconv.FormatInt(m.pendOff, 10)
	}
	return msg, nil
}

func (m *mbox) Progress() (int64, int64) {
	if m.pending != nil {
		return m.pendOff, m.size
	}
	return m.off, m.size
}

func (m *mbox) Close() error { return m.f.Close() }

func isBlank(line []byte) bool {
	return len(line) == 0 || line[0] == '\n' || (line[0] == '\r' && len(line) > 1 && line[1] == '\n')
}

// unescape removes one ">" from a line of the form ">+From " (mboxrd).
func unescape(line []byte) []byte {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i > 0 && bytes.HasPrefix(line[i:], []byte("From ")) {
		return line[1:]
	}
	return line
}

// trimSeparator removes the empty line that separates a message from the
// next From line: it belongs to the mbox, not to the message.
func trimSeparator(b []byte) []byte {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n\r\n")):
		return b[:len(b)-2]
	case bytes.HasSuffix(b, []byte("\n\n")):
		return b[:len(b)-1]
	}
	return b
}

// fromLine reads the envelope sender and date of a From line,
// "From sender date" where date is in the asctime form
// ("Thu Sep 18 17:54:04 2008", some writers add a zone). MAILER-DAEMON,
// as Postfix and others write the null sender, is "<>".
func fromLine(line []byte) (from string, date time.Time) {
	fields := strings.Fields(string(line))
	if len(fields) < 2 {
		return "", time.Time{}
	}
	from = fields[1]
	if strings.EqualFold(from, "MAILER-DAEMON") || from == "<>" {
		from = "<>"
	}
	rest := strings.Join(fields[2:], " ")
	for _, layout := range []string{"Mon Jan 2 15:04:05 2006", "Mon Jan 2 15:04:05 -0700 2006",
		"Mon Jan 2 15:04:05 2006 -0700", "Mon Jan 2 15:04:05 MST 2006", "Mon Jan 2 15:04 2006"} {
		if t, err := time.Parse(layout, rest); err == nil {
			return from, t.UTC()
		}
	}
	return from, time.Time{}
}
