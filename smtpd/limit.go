package smtpd

import (
	"log/slog"
	"net"
	"sync"
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
			return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			l.log.Warn("connection refused: too many connections", "remote", c.RemoteAddr().String(), "max", cap(l.slots))
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write([]byte("421 4.7.0 " + l.domain + " Too many connections, try again later\r\n"))
			c.Close()
		}
	}
}

// limitConn gives its slot back once, when closed.
type limitConn struct {
	net.Conn
	release func()
	once    sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
