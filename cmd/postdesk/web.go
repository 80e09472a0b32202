package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/hook"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/metrics"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/web"
	"github.com/postdesk/postdesk/webapi"
)

// serveWeb listens on the HTTP address and returns the component serving
// the web inbox there, with the API (/api/), /metrics and the health
// checks beside it, and the web inbox's own worker (sign-in mail).
func serveWeb(cfg config.Config, st *store.Store, dk *desk.Desk, pipeline *ingest.Pipeline, hooks *hook.Sender,
	m *metrics.Metrics, e env, log *slog.Logger) (httpRun, webRun func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("http listen: %w", err)
	}
	base := publicURL(cfg, ln.Addr().String())
	inbox, err := web.New(web.Options{Store: st, Desk: dk, Held: pipeline, Webhooks: hooks, BaseURL: base, Now: e.now,
		AnswerRecipients: cfg.AnswerRcptsMax, Logger: log.With("component", "web")})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	api := webapi.New(webapi.Options{Store: st, Desk: dk, Held: pipeline, Webhooks: hooks, Metrics: m.Handler(), Now: e.now,
		AnswerRecipients: cfg.AnswerRcptsMax, Session: inbox.SessionEmail, Logger: log.With("component", "http")})
	log.Info("web inbox", "url", base+"/")
	// The one line serve prints on standard output (logs go to standard
	// error): where to open the inbox, and how in.
	fmt.Fprintf(e.stdout, "postdesk web inbox: %s/ (first sign-in: postdesk member login-link EMAIL)\n", base)
	return serveOn("http", ln, either(api, inbox.Handler()),
		httpLimits{ReadTimeout: cfg.HTTPReadTimeout, MaxConns: cfg.HTTPMaxConns}, log), inbox.Run, nil
}

// either serves a request with the API when one of its routes takes it,
// else with the web inbox.
func either(api *webapi.Server, inbox http.Handler) http.Handler {
	h := api.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if api.Serves(r) {
			h.ServeHTTP(w, r)
			return
		}
		inbox.ServeHTTP(w, r)
	})
}

// publicURL is the inbox's address for links given to members: the
// configured public-url, else http:// and the address listened on
// (hostport), on loopback when that is a wildcard (0.0.0.0, ::).
func publicURL(cfg config.Config, hostport string) string {
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	if host, port, err := net.SplitHostPort(hostport); err == nil {
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			hostport = net.JoinHostPort("127.0.0.1", port)
		}
	}
	return "http://" + hostport
}
