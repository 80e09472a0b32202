package smtpd

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener caps concurrent connections, in all and per client address,
// so that one client cannot hold every slot. A connection over a cap is told
// so with 421 (RFC 5321 §3.8) and closed, instead of waiting unanswered in
// the kernel's backlog.
//
// It also keeps its open connections, so that Drain can end them at shutdown.
type limitListener struct {
	net.Listener
	slots  chan struct{}
	perIP  int // 0: no cap per client
	domain string
	log    *slog.Logger

	closeOnce sync.Once
	closeErr  error
	draining  atomic.Bool
	mu        sync.Mutex
	conns     map[*guardedConn]struct{}
	clients   map[string]int // open connections per client (clientKey)
}

func newLimitListener(ln net.Listener, max, perIP int, domain string, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), perIP: perIP, domain: domain, log: log,
		conns: map[*guardedConn]struct{}{}, clients: map[string]int{}}
}

// Close closes the listener: connections are refused from then on. It may
// be called more than once.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

// Drain ends every connection at its next command (RFC 5321 §3.8: 421 and
// close), without interrupting a message being received or delivered: its
// reply goes out first. A session waiting for a command is woken now.
func (l *limitListener) Drain() {
	l.draining.Store(true)
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Conn.SetReadDeadline(time.Now()) // wakes a read in progress
	}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			if g := l.admit(c); g != nil {
				return g, nil
			}
			<-l.slots
			l.refuse(c, "Too many connections from your address", "connection refused: too many from one client", l.perIP)
		default:
			l.refuse(c, "Too many connections", "connection refused: too many connections", cap(l.slots))
		}
	}
}

// admit registers a connection that holds a slot, or returns nil when its
// client is at the per-client cap.
func (l *limitListener) admit(c net.Conn) *guardedConn {
	key := clientKey(c.RemoteAddr())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP > 0 && l.clients[key] >= l.perIP {
		return nil
	}
	l.clients[key]++
	g := &guardedConn{Conn: c, l: l, client: key}
	l.conns[g] = struct{}{}
	return g
}

func (l *limitListener) refuse(c net.Conn, text, msg string, max int) {
	l.log.Warn(msg, "remote", c.RemoteAddr().String(), "max", max)
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write([]byte("421 4.7.0 " + l.domain + " " + text + ", try again later\r\n"))
	c.Close()
}

// clientKey names the client a connection comes from: its IPv4 address,
// or the /64 prefix of its IPv6 address, since one IPv6 host commonly holds
// a whole /64 (RFC 6177).
func clientKey(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := tcp.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return tcp.IP.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// guardedConn gives its slot back once, when closed, and ends the session
// on a read timeout. go-smtp reads commands with bufio.Reader.ReadLine,
// which returns a partial line without its error when a deadline passes
// mid-line: a client dribbling bytes would have its fragments taken for
// commands and live on. Closing here, after saying why (RFC 5321 §4.5.3.2),
// ends it at the first timeout.
//
// While the listener drains, the next read outside a message's DATA ends
// the session with 421; a read inside DATA goes on until the data deadline.
type guardedConn struct {
	net.Conn
	l      *limitListener
	client string // clientKey of the remote address
	once   sync.Once
	// stopping marks a deadline set on purpose to stop go-smtp's DATA
	// reader (see dotReader): its timeout ends that read, not the session.
	stopping atomic.Bool
	// dataUntil is the deadline of the DATA being received (Unix
	// nanoseconds), zero outside DATA.
	dataUntil atomic.Int64
}

func (c *guardedConn) Read(b []byte) (int, error) {
	for {
		if c.l.draining.Load() && c.dataUntil.Load() == 0 && !c.stopping.Load() {
			c.closeSaying("421 4.3.2 " + c.l.domain + " Service shutting down, try again later")
			return 0, net.ErrClosed
		}
		n, err := c.Conn.Read(b)
		if err == nil || !isTimeout(err) || c.stopping.Load() {
			return n, err
		}
		if until := c.dataUntil.Load(); n == 0 && c.l.draining.Load() && until != 0 && time.Now().UnixNano() < until {
			c.Conn.SetReadDeadline(time.Unix(0, until)) // woken by Drain: keep receiving
			continue
		}
		if c.l.draining.Load() && c.dataUntil.Load() == 0 {
			continue // woken by Drain between commands: say so above
		}
		c.closeSaying("421 4.4.2 " + c.l.domain + " Timeout waiting for the client, closing connection")
		return n, err
	}
}

// closeSaying writes a last reply and closes the connection.
func (c *guardedConn) closeSaying(reply string) {
	c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	c.Conn.Write([]byte(reply + "\r\n"))
	c.Close()
}

// receivingData marks the connection as inside DATA until the deadline, or
// outside it (zero time).
func (c *guardedConn) receivingData(until time.Time) {
	if until.IsZero() {
		c.dataUntil.Store(0)
		return
	}
	c.dataUntil.Store(until.UnixNano())
}

func (c *guardedConn) Close() error {
	c.once.Do(func() {
		<-c.l.slots
		c.l.mu.Lock()
		delete(c.l.conns, c)
		if c.l.clients[c.client]--; c.l.clients[c.client] <= 0 {
			delete(c.l.clients, c.client)
		}
		c.l.mu.Unlock()
	})
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
