package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/postdesk/postdesk/desk"
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
	secret, _, err := a.st.CreateLoginLink(ctx, email, desk.SignInLinkTTL, math.MaxInt)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, web.LoginURL(publicURL(a.cfg, a.cfg.HTTPAddr), secret, ""))
	fmt.Fprintf(terminal(e.stderr), "a link for %s: it works once, within %s, while serve runs\n", email, desk.SignInLinkTTL)
	return nil
}

// memberPassword sets a member's password for the web inbox, read from
// the first line of standard input (so that it stays out of the shell's
// history and the process list). Her open sessions are signed out.
func memberPassword(ctx context.Context, e env) error {
	fs, l := flags("member password", e)
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(a.pos) != 1 {
		return fmt.Errorf("usage: postdesk %s", synopsisOf("member password"))
	}
	in := e.stdin
	if in == nil {
		in = os.Stdin
	}
	fmt.Fprintf(terminal(e.stderr), "password for %s (one line on standard input): ", a.pos[0])
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if err := desk.New(desk.Options{Store: a.st, Now: e.now}).SetPassword(ctx, a.pos[0], password, 0); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "password set for %s; her web sessions are signed out\n", strings.ToLower(strings.TrimSpace(a.pos[0])))
	return nil
}
