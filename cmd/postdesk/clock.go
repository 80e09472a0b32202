package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// fakeClockEnv names a file whose content, an RFC 3339 time, is the time
// postdesk runs at: for tests of what happens hours or days later (snooze,
// SLA due times, overdue alerts) through the real binary. The clock goes on
// from that time at the real pace, counted from when the file was written,
// and follows the file when it changes. Unset, postdesk runs on the
// system's clock. serve logs a warning while it is set.
const fakeClockEnv = "POSTDESK_FAKE_CLOCK"

// newClock returns the clock of this process: the system's, or the fake
// clock of fakeClockEnv.
func newClock(getenv func(string) string) (func() time.Time, error) {
	path := getenv(fakeClockEnv)
	if path == "" {
		return time.Now, nil
	}
	c := &fileClock{path: path}
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("%s: %w", fakeClockEnv, err)
	}
	return c.now, nil
}

// fileClock is the fake clock of fakeClockEnv.
type fileClock struct {
	path string

	mu      sync.Mutex
	checked time.Time // when the file was last looked at (real time)
	mtime   time.Time // the file's modification time then
	base    time.Time // the time written in it
}

// recheck is how often the file is looked at again.
const recheck = 50 * time.Millisecond

func (c *fileClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) > recheck {
		c.load() // on error, keep the last good time
	}
	return c.base.Add(time.Since(c.mtime))
}

// load reads the file, if it changed. c.mu is held (or c is not shared).
func (c *fileClock) load() error {
	c.checked = time.Now()
	fi, err := os.Stat(c.path)
	if err != nil {
		return err
	}
	if fi.ModTime().Equal(c.mtime) && !c.base.IsZero() {
		return nil
	}
	b, err := os.ReadFile(c.path)
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%s: %w", c.path, err)
	}
	c.base, c.mtime = t, fi.ModTime()
	return nil
}
