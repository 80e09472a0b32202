package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// tokenCreate makes an API token for a member and prints it, once: only
// its hash is kept. The token acts as that address's member in each
// property she belongs to.
func tokenCreate(ctx context.Context, e env) error {
	fs, l := flags("token create", e)
	email := fs.String("member", "", "the member's address; the token acts as her, with her role in each of her properties")
	label := fs.String("label", "", "what the token is for (a dashboard, a chatbot)")
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	if strings.TrimSpace(*email) == "" || len(a.pos) != 0 {
		return fmt.Errorf("usage: postdesk %s", synopsisOf("token create"))
	}
	secret, t, err := a.st.CreateToken(ctx, *email, *label, "postdesk token create")
	if err != nil {
		return err
	}
	if a.json {
		return a.print(e.stdout, struct {
			Token  string `json:"token"`
			ID     int64  `json:"id"`
			Member string `json:"member"`
		}{secret, t.ID, t.Email}, nil)
	}
	fmt.Fprintf(e.stdout, "%s\n", secret)
	fmt.Fprintf(terminal(e.stderr), "token %d for %s: shown once, keep it now (send it as Authorization: Bearer TOKEN)\n", t.ID, t.Email)
	return nil
}

// tokenList prints the tokens, without their secrets.
func tokenList(ctx context.Context, e env) error {
	fs, l := flags("token list", e)
	email := fs.String("member", "", "only this member's tokens")
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	tokens, err := a.st.Tokens(ctx, *email)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(tokens), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tMEMBER\tLABEL\tCREATED\tLAST USED\tREVOKED")
		for _, t := range tokens {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Email, cell(orDash(t.Label)), t.CreatedAt.Format(time.DateTime),
				timeOrDash(t.LastUsedAt), timeOrDash(t.RevokedAt))
		}
	})
}

// tokenRevoke revokes a token by id: it stops working at once.
func tokenRevoke(ctx context.Context, e env) error {
	fs, l := flags("token revoke", e)
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(a.pos) != 1 {
		return fmt.Errorf("usage: postdesk %s", synopsisOf("token revoke"))
	}
	id, err := strconv.ParseInt(a.pos[0], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a token id (postdesk token list)", a.pos[0])
	}
	t, err := a.st.RevokeToken(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "token %d of %s revoked\n", t.ID, t.Email)
	return nil
}

// timeOrDash shows a time, or "-" for none.
func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateTime)
}
