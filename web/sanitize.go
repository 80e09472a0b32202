package web

import (
	"html/template"
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The HTML of a mail is the sender's: it is shown inside the ticket page
// (not in an iframe) once bluemonday has reduced it to inert markup:
// text, structure, tables, links and images. Inline keeps the page one
// document (its height, its keyboard shortcuts, its find-in-page) and the
// page's strict Content-Security-Policy is the second wall: even markup
// that slipped through could run no script and load no style. A sandboxed
// srcdoc iframe would add a third, but needs script to size itself and
// inherits the same policy anyway.
//
// What is dropped: script, style (elements and attributes: a sender's CSS
// could cover the page or fetch url()s), event handlers, forms and their
// controls, iframes, objects, embeds, meta, link, base, SVG, data: URLs, ids and
// classes (they could collide with the page's). Links keep http, https
// and mailto only and open in a new tab with rel="nofollow noreferrer
// noopener". Relative URLs are dropped: in a mail they can only point at
// the inbox itself.
//
// What is left is then parsed and written out again (balance), so that the
// mail's markup is one tree that stays inside its box on the page: no end
// tag closes the page's elements, no open one takes in the page after it.

// remoteImage is where a remote image points while it is blocked.
const remoteImage = "/static/remote-image.svg"

// bodyOptions say how a message's HTML is shown.
type bodyOptions struct {
	// Remote shows remote (http, https) images; by default they are
	// replaced by remoteImage, so that opening a mail tells its sender
	// nothing (a tracking pixel).
	Remote bool
	// CIDs maps the Content-ID of each of the message's inline parts
	// (RFC 2392) to the URL the part is served at.
	CIDs map[string]string
}

// sanitizer makes the HTML of one page's messages inert. Building a
// policy costs more than using it, so a page builds one and uses it for
// each of its messages, in turn (a sanitizer is not for concurrent use).
type sanitizer struct {
	p       *bluemonday.Policy
	o       bodyOptions // of the message being sanitised
	blocked bool        // a remote image of it was blocked
}

func newSanitizer() *sanitizer {
	z := &sanitizer{p: mailPolicy()}
	z.p.RewriteSrc(z.rewriteSrc)
	return z
}

// rewriteSrc points a cid: image at the message's part, and a remote one
// at remoteImage unless remote images are asked for.
func (z *sanitizer) rewriteSrc(u *url.URL) {
	switch strings.ToLower(u.Scheme) {
	case "cid":
		if to, ok := z.o.CIDs[cidOf(u)]; ok {
			*u = url.URL{Path: to}
			return
		}
		*u = url.URL{Path: remoteImage}
	case "http", "https":
		if !z.o.Remote {
			z.blocked = true
			*u = url.URL{Path: remoteImage}
		}
	}
}

// sanitize returns the mail's HTML made inert, and whether a remote image
// was blocked.
func (z *sanitizer) sanitize(html string, o bodyOptions) (template.HTML, bool) {
	z.o, z.blocked = o, false
	return balance(z.p.Sanitize(html)), z.blocked
}

// balance gives sanitised markup a tree of its own: bluemonday passes the
// allowed elements' tags through as they come, so a mail's "</div></li>"
// closed the page's box around it (and wrote beside it, in the timeline)
// and an open "<table>" took in the rest of the page, its forms included.
// Parsed as the content of a div, as a browser parses it in the page
// (HTML Living Standard §13.4, parsing fragments), and written out again,
// every element the mail opens is closed in it and no end tag is left
// over.
func balance(s string) template.HTML {
	box := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), box)
	if err != nil { // only a reader's error, which a string's has not
		return template.HTML(template.HTMLEscapeString(s))
	}
	var b strings.Builder
	for _, n := range nodes {
		unorphan(n, false, false)
		if err := html.Render(&b, n); err != nil {
			return template.HTML(template.HTMLEscapeString(s))
		}
	}
	return template.HTML(b.String())
}

// unorphan makes a div of each li outside a list of the mail's own, and of
// each dd or dt outside its own dl: a browser closes the nearest open li
// (dd, dt) when another starts, looking through divs (HTML Living
// Standard §13.2.6.4.7, "in body", an li start tag), so an orphan <li>
// closed the page's timeline entry around the mail and wrote a new one.
func unorphan(n *html.Node, inList, inDL bool) {
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.Ul, atom.Ol, atom.Menu:
			inList = true
		case atom.Dl:
			inDL = true
		case atom.Li:
			if !inList {
				n.Data, n.DataAtom = "div", atom.Div
			}
			inList = false // a list inside starts anew
		case atom.Dd, atom.Dt:
			if !inDL {
				n.Data, n.DataAtom = "div", atom.Div
			}
			inDL = false
		}
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		unorphan(ch, inList, inDL)
	}
}

// sanitizeHTML sanitises one message's HTML with a sanitizer of its own.
func sanitizeHTML(html string, o bodyOptions) (template.HTML, bool) {
	return newSanitizer().sanitize(html, o)
}

// cidOf is the Content-ID a cid: URL names (RFC 2392 §2), unescaped and
// in lower case, as contentID keys them.
func cidOf(u *url.URL) string {
	id := u.Opaque
	if id == "" {
		id = strings.TrimPrefix(u.Path, "/")
	}
	if un, err := url.PathUnescape(id); err == nil {
		id = un
	}
	return contentID(id)
}

// contentID is a Content-ID header's value as cid: URLs name it: without
// its angle brackets, in lower case.
func contentID(id string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(id), "<>"))
}

// langTag is a lang attribute's value (BCP 47, loosely).
var langTag = regexp.MustCompile(`^[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*$`)

// mailPolicy is the policy of a mail's HTML: bluemonday's policy for user
// content without ids (a mail's could collide with the page's), image
// maps and data: URLs.
func mailPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("lang").Matching(langTag).Globally()
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).Globally()
	p.AllowStandardURLs()
	p.AllowURLSchemes("mailto")
	// "http:" alone resolves to the page itself (WHATWG URL §4.4, special
	// relative): a web URL must name its host.
	withHost := func(u *url.URL) bool { return u.Host != "" }
	p.AllowURLSchemeWithCustomPolicy("http", withHost)
	p.AllowURLSchemeWithCustomPolicy("https", withHost)
	p.AllowURLSchemeWithCustomPolicy("cid", func(*url.URL) bool { return true })
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowElements("article", "aside", "figure", "section", "summary", "details", "h1", "h2", "h3", "h4", "h5", "h6",
		"hgroup", "br", "div", "hr", "p", "span", "wbr", "abbr", "acronym", "cite", "code", "dfn", "em", "figcaption",
		"mark", "s", "samp", "strong", "sub", "sup", "var", "b", "i", "pre", "small", "strike", "tt", "u",
		"rp", "rt", "ruby", "center", "font", "blockquote", "q", "del", "ins", "time")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowLists()
	p.AllowTables()
	p.AllowImages()
	p.AllowAttrs("align", "valign").OnElements("table", "tr", "td", "th", "p", "div", "img")
	p.AllowAttrs("width", "height", "colspan", "rowspan").OnElements("table", "td", "th")
	p.AllowRelativeURLs(false) // last: AllowImages allows them
	p.AllowURLSchemeWithCustomPolicy("http", withHost)
	p.AllowURLSchemeWithCustomPolicy("https", withHost)
	return p
}
