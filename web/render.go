package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// layoutData is what the layout shows around a page's body.
type layoutData struct {
	Title   string
	Email   string             // the signed-in member, "" on the sign-in pages
	CSRF    string             // the session's form token
	Members []store.Membership // the property switcher
	Prop    ticket.Property    // the property of the page, if any
	Admin   bool               // the member is an admin of Prop
	Body    any                // the page's own data
}

// parsePages parses each page (templates/NAME.html other than layout)
// together with the layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs()).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, n)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// funcs are the helpers templates may call.
func funcs() template.FuncMap {
	return template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04")
		},
		"urlq": url.QueryEscape,
	}
}

// render writes a page of the layout with the status given. The page is
// rendered into a buffer first, so that a template error is a clean 500,
// not half a page.
func (c *call) render(status int, name string, body any) error {
	t, ok := c.s.pages[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	data := layoutData{Title: pageTitle(name, body), Email: c.sess.Email, CSRF: c.sess.CSRF, Members: c.members,
		Prop: c.prop, Admin: c.isAdmin(), Body: body}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	_, err := c.w.Write(b.Bytes())
	return err
}

// titled is a page's data that names its page.
type titled interface{ PageTitle() string }

func pageTitle(name string, body any) string {
	if t, ok := body.(titled); ok {
		return t.PageTitle()
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// PageTitle names a message page.
func (m messagePage) PageTitle() string { return m.Title }
