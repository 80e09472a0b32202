package webapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// The OpenAPI document (OpenAPI 3.1.1, https://spec.openapis.org/oas/v3.1.1)
// is made from the route table when the server starts: each route's path
// and query parameters, its request and response bodies (their schemas made
// by reflection from the Go types, schema.go), who may call it (the bearer
// scheme, RFC 6750; none on public routes) and the problem details (RFC
// 9457) it answers with. A route cannot be served undocumented.

const (
	openAPIVersion = "3.1.1"
	// apiVersion is the version of the API the document describes.
	apiVersion  = "1"
	problemType = "application/problem+json"
)

// document is an OpenAPI document, with the fields postdesk uses.
type document struct {
	OpenAPI    string                           `json:"openapi"`
	Info       docInfo                          `json:"info"`
	Servers    []docServer                      `json:"servers"`
	Security   []map[string][]string            `json:"security"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components docComponents                    `json:"components"`
}

type docInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type docServer struct {
	URL         string `json:"url"`
	Description string `json:"description"`
}

type docComponents struct {
	Schemas         map[string]*schema      `json:"schemas"`
	Responses       map[string]*docResponse `json:"responses"`
	SecuritySchemes map[string]secScheme    `json:"securitySchemes"`
}

type secScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
}

type operation struct {
	OperationID string                  `json:"operationId"`
	Summary     string                  `json:"summary"`
	Tags        []string                `json:"tags,omitempty"`
	Description string                  `json:"description,omitempty"`
	Security    *[]map[string][]string  `json:"security,omitempty"` // empty on public routes: no token
	Parameters  []parameter             `json:"parameters,omitempty"`
	RequestBody *requestBody            `json:"requestBody,omitempty"`
	Responses   map[string]*docResponse `json:"responses"`
}

type parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Required    bool    `json:"required,omitempty"`
	Description string  `json:"description,omitempty"`
	Schema      *schema `json:"schema"`
}

type requestBody struct {
	Required bool                 `json:"required"`
	Content  map[string]mediaType `json:"content"`
}

type docResponse struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Headers     map[string]*docHeader `json:"headers,omitempty"`
	Content     map[string]mediaType  `json:"content,omitempty"`
}

type docHeader struct {
	Description string  `json:"description"`
	Schema      *schema `json:"schema"`
}

type mediaType struct {
	Schema *schema `json:"schema,omitempty"`
}

// errorResponse is an answer other than success an operation may give,
// named in components.responses: a problem, but for 304.
type errorResponse struct{ status, name, doc string }

// errorResponses are the answers operations give besides success, by
// status.
func errorResponses() []errorResponse {
	return []errorResponse{
		{"304", "NotModified", "The ticket has the ETag given in If-None-Match (RFC 9110 §15.4.5): no body."},
		{"400", "BadRequest", "The request is malformed: its body, a parameter or a path value."},
		{"401", "Unauthorized", "No API token, or an unknown or revoked one."},
		{"403", "Forbidden", "The caller's role does not allow this (an agent on an admin's route)."},
		{"404", "NotFound", "Not found, or not the caller's to see (another property's data)."},
		{"409", "Conflict", "What is added exists already, or what is asked was done already."},
		{"412", "PreconditionFailed", "The ticket changed since the ETag given in If-Match."},
		{"413", "ContentTooLarge", "The request body is larger than the gateway takes."},
		{"415", "UnsupportedMediaType", "The body is not application/json (or, where files are taken, multipart/form-data)."},
		{"422", "UnprocessableContent", "The desk refused the change; the detail says why."},
		{"429", "TooManyRequests", "The caller holds as many of these at once as she may; Retry-After says when to try again."},
		{"503", "ServiceUnavailable", "The gateway is stopping, or its database is busy or down; try again."},
	}
}

// errorResponseDoc is the component of an errorResponse: a problem
// (RFC 9457), but for 304, which has no body; 429 says when to try again
// (Retry-After, RFC 9110 §10.2.3), 304 the current ETag.
func errorResponseDoc(e errorResponse, problem *schema) *docResponse {
	out := &docResponse{Description: e.doc}
	switch e.status {
	case "304":
		out.Headers = map[string]*docHeader{"ETag": etagHeader()}
		return out
	case "429":
		out.Headers = map[string]*docHeader{"Retry-After": {Description: "seconds to wait before trying again",
			Schema: &schema{Type: "integer"}}}
	}
	out.Content = map[string]mediaType{problemType: {Schema: problem}}
	return out
}

// etagHeader documents a ticket's ETag (RFC 9110 §8.8.3).
func etagHeader() *docHeader {
	return &docHeader{Description: "the ticket's entity tag, for If-Match and If-None-Match", Schema: &schema{Type: "string"}}
}

// openAPI makes the document of routes.
func openAPI(routes []Route) ([]byte, error) {
	sc := newSchemas()
	doc := document{
		OpenAPI: openAPIVersion,
		Info: docInfo{Title: "postdesk", Version: apiVersion,
			Description: "The HTTP API of postdesk, an email-centric ticketing gateway. Send an API token " +
				"(postdesk token create) as a bearer token; it acts as its member in each property she belongs to. " +
				"Errors are problem details (RFC 9457)."},
		Servers:  []docServer{{URL: "/", Description: "the gateway serving this document"}},
		Security: []map[string][]string{{"bearer": {}}},
		Paths:    map[string]map[string]*operation{},
		Components: docComponents{
			Responses: map[string]*docResponse{},
			SecuritySchemes: map[string]secScheme{"bearer": {Type: "http", Scheme: "bearer",
				Description: "An API token from `postdesk token create` (RFC 6750)."}},
		},
	}
	problem := sc.of(Problem{})
	for _, e := range errorResponses() {
		doc.Components.Responses[e.name] = errorResponseDoc(e, problem)
	}
	for _, r := range routes {
		path, params := pathParams(r.Path)
		if doc.Paths[path] == nil {
			doc.Paths[path] = map[string]*operation{}
		}
		method := strings.ToLower(r.Method)
		if doc.Paths[path][method] != nil {
			return nil, fmt.Errorf("openapi: %s %s is routed twice", r.Method, r.Path)
		}
		doc.Paths[path][method] = newOperation(sc, r, params)
	}
	doc.Components.Schemas = sc.components
	return json.MarshalIndent(doc, "", "  ")
}

// newOperation documents one route.
func newOperation(sc *schemas, r Route, params []parameter) *operation {
	op := &operation{OperationID: operationID(r), Summary: r.Summary, Tags: tags(r.Path), Parameters: params,
		Responses: map[string]*docResponse{}}
	if r.Access == "public" {
		op.Security = &[]map[string][]string{}
	}
	if r.Access == "admin" {
		op.Description = "For admins of the property."
	}
	for _, q := range r.Query {
		op.Parameters = append(op.Parameters, parameter{Name: q.Name, In: "query", Description: q.Doc,
			Schema: &schema{Type: paramType(q.Type)}})
	}
	op.Parameters = append(op.Parameters, headerParams(r)...)
	if r.Request != nil {
		body := sc.of(r.Request)
		op.RequestBody = &requestBody{Required: true, Content: map[string]mediaType{"application/json": {Schema: body}}}
		if r.Upload {
			op.RequestBody.Content["multipart/form-data"] = mediaType{Schema: &schema{Type: "object",
				Description: "The JSON body's fields as form fields, or the whole JSON body in one part " +
					"(RFC 7578); every part with a filename is a file.",
				AdditionalProperties: &schema{Type: "string", ContentMediaType: "application/octet-stream"}}}
		}
	}
	op.Responses[successStatus(r)] = success(sc, r)
	if name := etagOut(r); name != "" {
		op.Responses[successStatus(r)].Headers = map[string]*docHeader{name: etagHeader()}
	}
	for _, e := range errorResponses() {
		if answers(r, e.status) {
			op.Responses[e.status] = &docResponse{Ref: "#/components/responses/" + e.name}
		}
	}
	return op
}

// successStatus is the status of a route's success: 200 for a read; a
// change may answer 201 (it made something) or 204 (nothing to say), so
// any 2xx.
func successStatus(r Route) string {
	if r.Method == http.MethodGet {
		return "200"
	}
	return "2XX"
}

// success documents a route's answer.
func success(sc *schemas, r Route) *docResponse {
	out := &docResponse{Description: r.Summary}
	switch {
	case r.Produces != "":
		out.Content = map[string]mediaType{r.Produces: {}}
	case r.Response != nil:
		out.Content = map[string]mediaType{"application/json": {Schema: sc.of(r.Response)}}
	}
	return out
}

// answers reports whether a route may answer with status: 401 without a
// token; 403 for a role (an admin's route, or the desk's judgement of a
// change); 400 for a malformed path value, parameter or body; 404 for
// something named in the path; 304 for a ticket read with If-None-Match;
// 412 for a change to a ticket (If-Match); 409 and 429 where the route
// says so; 413 for a body too large; 415 for a JSON body of another type;
// 422 for a change the desk refuses; 503 wherever the database is asked
// (it may be closing or busy).
func answers(r Route, status string) bool {
	named := strings.Contains(r.Path, "{")
	change := r.Method != http.MethodGet
	if r.Access == "public" {
		return status == "400" && named || status == "404" && named || status == "503" && r.Path == "/readyz"
	}
	switch status {
	case "304":
		return ticketRead(r)
	case "409":
		return r.Conflict
	case "415":
		return r.Request != nil
	case "429":
		return r.Limited
	case "503":
		return true
	case "401":
		return true
	case "403":
		return strings.Contains(r.Path, "{prop}") || change
	case "400":
		return named || len(r.Query) > 0 || r.Request != nil
	case "404":
		return named
	case "412":
		return ticketChange(r)
	case "413":
		return r.Request != nil
	case "422":
		return change
	}
	return false
}

// ticketRead reports whether r reads a ticket: it answers the ticket's
// ETag, and 304 to a matching If-None-Match (RFC 9110 §13.1.2).
func ticketRead(r Route) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/{n}")
}

// ticketChange reports whether r changes a ticket named in the path: it
// honours If-Match (RFC 9110 §13.1.1) and answers the ticket's new ETag.
func ticketChange(r Route) bool {
	return r.Method != http.MethodGet && strings.Contains(r.Path, "/{n}")
}

// etagOut names the header a route answers a ticket's ETag in: ETag
// where the answer is the ticket, Ticket-ETag where it is a message of
// it; "" for a route that answers none.
func etagOut(r Route) string {
	switch {
	case ticketChange(r) && r.Produces == "" && isMessage(r.Response):
		return "Ticket-ETag"
	case ticketRead(r) || ticketChange(r):
		return "ETag"
	}
	return ""
}

// isMessage reports whether v is a ticket.Message.
func isMessage(v any) bool {
	_, ok := v.(ticket.Message)
	return ok
}

// headerParams are the request headers a route reads: the ticket's
// validators (RFC 9110 §13.1), and Last-Event-ID on a live stream (the
// WHATWG HTML standard §9.2.4).
func headerParams(r Route) []parameter {
	str := &schema{Type: "string"}
	switch {
	case ticketRead(r):
		return []parameter{{Name: "If-None-Match", In: "header", Schema: str,
			Description: "the ETag of the ticket as the caller has it: 304 while it is the same"}}
	case ticketChange(r):
		return []parameter{{Name: "If-Match", In: "header", Schema: str,
			Description: "the ETag of the ticket as the caller read it: 412, and no change, if it changed since"}}
	case r.Produces == "text/event-stream":
		return []parameter{{Name: "Last-Event-ID", In: "header", Schema: &schema{Type: "integer"},
			Description: "resume after this event (a reconnecting client sends it by itself)"}}
	}
	return nil
}

// pathPattern finds the wildcards of a ServeMux pattern: {name} and
// {name...}.
var pathPattern = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}`)

// pathParams turns a ServeMux pattern into an OpenAPI path and its path
// parameters, in order.
func pathParams(pattern string) (string, []parameter) {
	var params []parameter
	path := pathPattern.ReplaceAllStringFunc(pattern, func(m string) string {
		name := pathPattern.FindStringSubmatch(m)[1]
		params = append(params, parameter{Name: name, In: "path", Required: true,
			Description: pathParamDoc(name), Schema: &schema{Type: pathParamType(name)}})
		return "{" + name + "}"
	})
	return path, params
}

// pathParamDoc says what a path parameter names.
func pathParamDoc(name string) string {
	switch name {
	case "prop":
		return "the property's slug"
	case "n":
		return "the ticket's number in the property"
	case "id":
		return "the id of the thing named"
	}
	return ""
}

// pathParamType is a path parameter's type: numbers are named n, id or
// something ending in id (aid), as call.pathInt reads them.
func pathParamType(name string) string {
	if name == "n" || strings.HasSuffix(name, "id") {
		return "integer"
	}
	return "string"
}

// paramType is the JSON Schema type of a query parameter's Type.
func paramType(t string) string {
	switch strings.ToLower(t) {
	case "integer", "int", "number":
		return "integer"
	case "boolean", "bool":
		return "boolean"
	}
	return "string"
}

// tags groups an operation by the first word of its path after the
// property (tickets, members, webhooks...), or after /api; the health
// checks, metrics and this document are the gateway's.
func tags(path string) []string {
	rest, ok := strings.CutPrefix(path, "/api/properties/{prop}/")
	if !ok {
		rest, ok = strings.CutPrefix(path, "/api/")
	}
	word, _, _ := strings.Cut(rest, "/")
	switch {
	case !ok || strings.Contains(word, "."):
		word = "gateway"
	case word == "" || strings.HasPrefix(word, "{"):
		word = "properties"
	}
	return []string{word}
}

// operationID names an operation from its method and the literal words
// of its path, a property's routes under "property": GET
// /api/properties/{prop}/tickets/{n} is get_property_tickets_n.
func operationID(r Route) string {
	words := []string{strings.ToLower(r.Method)}
	for _, w := range strings.Split(r.Path, "/") {
		w = strings.Trim(w, "{}.")
		if w != "" && w != "api" {
			words = append(words, strings.NewReplacer("-", "_", ".", "_").Replace(w))
		}
	}
	if len(words) > 2 && words[1] == "properties" && words[2] == "prop" {
		words = append([]string{words[0], "property"}, words[3:]...)
	}
	return strings.Join(words, "_")
}

// openAPIRoutes serve the document.
func (s *Server) openAPIRoutes() []route {
	return []route{
		{Route: Route{Method: "GET", Path: "/api/openapi.json", Summary: "This document: the API in OpenAPI 3.1",
			Response: map[string]any{}}, access: public, h: s.serveOpenAPI},
	}
}

func (s *Server) serveOpenAPI(c *call) error {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Cache-Control", "no-cache")
	_, err := c.w.Write(s.openapi)
	return err
}
