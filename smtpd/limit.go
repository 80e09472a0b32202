package smtpd

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener caps concurrent connections. A connection over the cap is
// told so with 421 (RFC 5321 §3.8) and closed, instead of waiting unanswered
// in the kernel's backlog.
type limitListener struct {
	net.Listener
	slots  chan struct{}
	domain string
	log    *slog.Logger
}

func newLimitListener(ln net.Listener, max int, domain string, log *slog.Logger) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), domain: domain, log: log}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &guardedConn{Conn: c, release: func() { <-l.slots }, domain: l.domain}, nil
		default:
			l.log.Warn("connection refused: too many connections", "remote", c.RemoteAddr().String(), "max", cap(l.slots))
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write([]byte("421 4.7.0 " + l.domain + " Too many connections, try again later\r\n"))
			c.Close()
		}
	}
}

// guardedConn gives its slot back once, when closed, and ends the session
// on a read timeout. go-smtp reads commands with bufio.Reader.ReadLine,
// which returns a partial line without its error when a deadline passes
// mid-line: a client dribbling bytes would have its fragments taken for
// commands and live on. Closing here, after saying why (RFC 5321 §4.5.3.2),
// ends it at the first timeout.
type guardedConn struct {
	net.Conn
	release func()
	domain  string
	once    sync.Once
	// stopping marks a deadline set on purpose to stop go-smtp's DATA
	// reader (see dotReader): its timeout ends that read, not the session.
	stopping atomic.Bool
}

func (c *guardedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && isTimeout(err) && !c.stopping.Load() {
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.Conn.Write([]byte("421 4.4.2 " + c.domain + " Timeout waiting for the client, closing connection\r\n"))
		c.Close()
	}
	return n, err
}

func (c *guardedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// stopDataReader makes the read that go-smtp's DATA reader is waiting in
// return at once, with a timeout that does not end the session: after a
// message whose end dotReader found, go-smtp still drains its reader before
// it replies. The next command read sets a new deadline; Reset clears the
// mark.
func (c *guardedConn) stopDataReader() error {
	c.stopping.Store(true)
	return c.Conn.SetReadDeadline(time.Now())
}

// guarded finds the guardedConn under a connection, through TLS.
func guarded(c net.Conn) *guardedConn {
	for {
		switch x := c.(type) {
		case *guardedConn:
			return x
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil
		}
	}
}
