package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"strings"

	"github.com/postdesk/postdesk/web"
)

// memberLoginLink prints a one-time sign-in link into the web inbox for a
// member: the way in for the first admin, before any mail is set up.
func memberLoginLink(ctx context.Context, e env) error {
	fs, l := flags("member login-link", e)
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(a.pos) != 1 {
		return fmt.Errorf("usage: postdesk %s", synopsisOf("member login-link"))
	}
	email := strings.ToLower(strings.TrimSpace(a.pos[0]))
	members, err := a.st.Memberships(ctx, email)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return fmt.Errorf("%s is not a member of any property (postdesk member add)", email)
	}
	secret, _, err := a.st.CreateLoginLink(ctx, email, web.LinkTTL, math.MaxInt)
	if err != nil {
		return err
	}
	base := a.cfg.PublicURL
	if base == "" {
		base = "http://" + a.cfg.HTTPAddr
		if host, port, err := net.SplitHostPort(a.cfg.HTTPAddr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
			base = "http://" + net.JoinHostPort("127.0.0.1", port)
		}
	}
	fmt.Fprintln(e.stdout, web.LoginURL(base, secret, ""))
	fmt.Fprintf(terminal(e.stderr), "a link for %s: it works once, within %s, while serve runs\n", email, web.LinkTTL)
	return nil
}
