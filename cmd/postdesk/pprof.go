package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
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
	return serveHTTP("pprof", addr, mux, httpLimits{}, log)
}
