package smtpd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// memory is the byte budget for the DATA that all sessions hold in memory.
// A session takes from it as bytes arrive, never on the client's word (the
// SIZE parameter of RFC 1870 is a claim, not a reservation), and never
// waits: when it is spent, the message goes on to a spool file.
type memory struct {
	mu   sync.Mutex
	free int64
}

func (m *memory) take(n int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.free < n {
		return false
	}
	m.free -= n
	return true
}

func (m *memory) give(n int64) {
	m.mu.Lock()
	m.free += n
	m.mu.Unlock()
}

// errSpool marks a failure to spool a message to disk: answered 451 4.3.1
// (RFC 3463: mail system full), so the sender retries.
var errSpool = errors.New("spool")

const (
	readChunk  = 32 << 10 // bytes read from the connection at a time
	spoolChunk = 32 << 10 // write buffer of a spool file
	spoolGlob  = "data-*"
)

// received is a message as received: in memory, its bytes taken from the
// server's memory budget, or in a spool file. It is an io.ReaderAt of Size
// bytes; in memory it also has Bytes, so the Deliverer need not copy it.
type received struct {
	mem      []byte
	reserved int64 // bytes taken from budget for mem's capacity
	file     *os.File
	size     int64
	budget   *memory
}

func (m *received) Size() int64 { return m.size }

func (m *received) ReadAt(p []byte, off int64) (int, error) {
	if m.file != nil {
		return m.file.ReadAt(p, off)
	}
	if off >= int64(len(m.mem)) {
		return 0, io.EOF
	}
	n := copy(p, m.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// inMemory is a received message whose bytes are in memory.
type inMemory struct{ *received }

// Bytes returns the message, not a copy.
func (m inMemory) Bytes() []byte { return m.mem }

// reader returns what the Deliverer is given.
func (m *received) reader() io.ReaderAt {
	if m.file == nil {
		return inMemory{m}
	}
	return m
}

// Close frees the message's memory and removes its spool file.
func (m *received) Close() error {
	m.budget.give(m.reserved)
	m.mem, m.reserved = nil, 0
	if m.file == nil {
		return nil
	}
	name := m.file.Name()
	err := m.file.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	m.file = nil
	return err
}

// receive reads DATA from r. The buffer grows with the bytes received,
// doubling, each growth taken from the budget; when the budget cannot give
// it, what was read and the rest go to a file in spoolDir. On error the
// message is closed.
func receive(r io.Reader, budget *memory, spoolDir string) (*received, error) {
	m := &received{budget: budget}
	chunk := make([]byte, readChunk)
	var w *bufio.Writer
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			if w == nil && !m.grow(n) {
				if w, err = m.spill(spoolDir); err != nil {
					m.Close()
					return nil, err
				}
			}
			if w != nil {
				if _, werr := w.Write(chunk[:n]); werr != nil {
					m.Close()
					return nil, fmt.Errorf("%w: %v", errSpool, werr)
				}
			} else {
				m.mem = append(m.mem, chunk[:n]...)
			}
			m.size += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			m.Close()
			return nil, err
		}
	}
	if w != nil {
		if err := w.Flush(); err != nil {
			m.Close()
			return nil, fmt.Errorf("%w: %v", errSpool, err)
		}
	}
	return m, nil
}

// grow makes room for n more bytes in memory, within the budget.
func (m *received) grow(n int) bool {
	need := len(m.mem) + n
	if need <= cap(m.mem) {
		return true
	}
	newCap := max(2*cap(m.mem), need, readChunk)
	if !m.budget.take(int64(newCap - cap(m.mem))) {
		return false
	}
	m.reserved += int64(newCap - cap(m.mem))
	grown := make([]byte, len(m.mem), newCap)
	copy(grown, m.mem)
	m.mem = grown
	return true
}

// spill moves the message to a new spool file and gives its memory back.
func (m *received) spill(dir string) (*bufio.Writer, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: memory budget spent and no spool directory", errSpool)
	}
	f, err := os.CreateTemp(dir, spoolGlob)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errSpool, err)
	}
	m.file = f
	w := bufio.NewWriterSize(f, spoolChunk)
	if _, err := w.Write(m.mem); err != nil {
		return nil, fmt.Errorf("%w: %v", errSpool, err)
	}
	m.budget.give(m.reserved)
	m.mem, m.reserved = nil, 0
	return w, nil
}

// cleanSpool removes the spool files a previous run left (a crash between
// receiving and replying: the sender was not told 250 and will retry).
func cleanSpool(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, spoolGlob))
	if err != nil {
		return err
	}
	for _, f := range old {
		if strings.HasPrefix(filepath.Base(f), "data-") {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
		}
	}
	return nil
}
