package webapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// touchEvery is how often a token's last use is written: at most once a
// minute, so that reading with a token costs no write.
const touchEvery = time.Minute

// authorize checks the request's bearer token (RFC 6750) against the
// route's access, and resolves the property of its path.
func (s *Server) authorize(c *call, a access) error {
	if a == public {
		return nil
	}
	if err := s.identify(c); err != nil {
		return err
	}
	var err error
	if c.members, err = s.st.Memberships(c.r.Context(), c.email); err != nil {
		return err
	}
	slug := c.r.PathValue("prop")
	if slug == "" {
		return nil
	}
	for _, m := range c.members {
		if m.Property.Slug == slug {
			c.prop, c.member = m.Property, m.Member
			if a == admin && !c.isAdmin() {
				return forbidden("only an admin of %s may do this", slug)
			}
			return nil
		}
	}
	// Another property's data is not found, whether or not it exists.
	return notFound("property %q", slug)
}

// identify finds who calls: the member of a bearer token or, on a GET, of
// a signed-in browser of the web inbox (Options.Session). A browser's
// cookie never authorizes a change here: a page of another site can make
// a browser send one, and the web inbox's forms carry their own CSRF
// token instead.
func (s *Server) identify(c *call) error {
	secret, ok := bearer(c.r)
	if !ok {
		if s.session != nil && c.r.Method == http.MethodGet {
			if email, ok := s.session(c.r); ok {
				c.email = email
				return nil
			}
		}
		return errUnauthorized("an API token is required: Authorization: Bearer TOKEN (postdesk token create)")
	}
	tok, found, err := s.st.TokenBySecret(c.r.Context(), secret)
	if err != nil {
		return err
	}
	if !found {
		return errUnauthorized("the API token is unknown or revoked")
	}
	c.token, c.email = tok, tok.Email
	if now := s.now(); now.Sub(tok.LastUsedAt) > touchEvery {
		if err := s.st.TouchToken(c.r.Context(), tok.ID, now); err != nil {
			s.log.Warn("token last use not recorded", "token", tok.ID, "err", err)
		}
	}
	return nil
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// notFound is a 404 for something named.
func notFound(format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, title: "Not Found", detail: fmt.Sprintf(format, args...) + " not found"}
}

// forbidden is a 403.
func forbidden(format string, args ...any) error {
	return &apiError{status: http.StatusForbidden, title: "Forbidden", detail: fmt.Sprintf(format, args...)}
}

// errUnauthorized is a 401.
func errUnauthorized(detail string) error {
	return &apiError{status: http.StatusUnauthorized, title: "Unauthorized", detail: detail}
}

// badRequest is a 400 about the request's form (a malformed body, a bad
// parameter) rather than the desk's judgement of it.
func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, title: "Bad Request", detail: fmt.Sprintf(format, args...)}
}

// invalidInput is a 422 about a request that reads but does not make
// sense or asks for nothing, as the desk's own refusals are.
func invalidInput(format string, args ...any) error {
	return &apiError{status: http.StatusUnprocessableEntity, title: "Unprocessable Content", detail: fmt.Sprintf(format, args...)}
}
