package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// httpLimits bounds what HTTP clients may hold of the process that also
// takes mail. Zero values are no limit.
type httpLimits struct {
	// ReadTimeout: a request must come whole, headers and body, within
	// it; a client trickling its body would otherwise hold its connection
	// for good, even one refused before its body is read (net/http reads
	// what is left of it before answering).
	ReadTimeout time.Duration
	// MaxConns is the most connections open at once; one past it is
	// closed unanswered, so that clients cannot take every file
	// descriptor (keep-alive connections are held for IdleTimeout).
	MaxConns int
}

// serveHTTP listens on addr and returns the component serving h there
// until its context ends, within the limits lim.
func serveHTTP(name, addr string, h http.Handler, lim httpLimits, log *slog.Logger) (func(context.Context) error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listen: %w", name, err)
	}
	return serveOn(name, ln, h, lim, log), nil
}

// serveOn is serveHTTP on a listener already open. Requests see the
// component's context end (live event streams close), and the server then
// waits up to 10 seconds for the requests in hand.
func serveOn(name string, ln net.Listener, h http.Handler, lim httpLimits, log *slog.Logger) func(context.Context) error {
	log.Info(name+" listening", "addr", ln.Addr().String())
	return func(ctx context.Context) error {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: lim.ReadTimeout,
			IdleTimeout: 2 * time.Minute, BaseContext: func(net.Listener) context.Context { return ctx }}
		if lim.MaxConns > 0 {
			srv.ConnState = (&connCap{max: int64(lim.MaxConns), name: name, log: log}).track
		}
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			srv.Close()
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// connCap counts a server's open connections (its ConnState hook) and
// closes each new one past max before anything is read from it.
type connCap struct {
	max  int64
	open atomic.Int64
	name string
	log  *slog.Logger
}

func (cc *connCap) track(c net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		if cc.open.Add(1) > cc.max {
			cc.log.Warn(cc.name+" connection refused: too many connections", "remote", c.RemoteAddr().String(), "max", cc.max)
			c.Close() // the server sees it closed, and says StateClosed
		}
	case http.StateClosed, http.StateHijacked:
		cc.open.Add(-1)
	}
}
