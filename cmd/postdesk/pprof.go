package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof listens on addr and returns the component serving Go's
// profiler there until its context ends. It is off unless configured:
// profiles reveal internals, so bind it to loopback.
func servePprof(addr string, log *slog.Logger) (func(context.Context) error, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile or trace answers after its ?seconds=: no read timeout.
	return serveHTTP("pprof", addr, mux, 0, log)
}

// serveHTTP listens on addr and returns the component serving h there
// until its context ends. Requests see that context end (live event
// streams close), and the server then waits up to 10 seconds for the
// requests in hand. A request must come whole, headers and body, within
// readTimeout (0: no limit): a client trickling its body would otherwise
// hold its connection for good, even one refused before its body is read
// (net/http reads what is left of it before answering).
func serveHTTP(name, addr string, h http.Handler, readTimeout time.Duration, log *slog.Logger) (func(context.Context) error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listen: %w", name, err)
	}
	return serveOn(name, ln, h, readTimeout, log), nil
}

// serveOn is serveHTTP on a listener already open.
func serveOn(name string, ln net.Listener, h http.Handler, readTimeout time.Duration, log *slog.Logger) func(context.Context) error {
	log.Info(name+" listening", "addr", ln.Addr().String())
	return func(ctx context.Context) error {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout, IdleTimeout: 2 * time.Minute,
			BaseContext: func(net.Listener) context.Context { return ctx }}
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
