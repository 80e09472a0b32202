package webapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

var updateOpenAPI = flag.Bool("update", false, "rewrite testdata/openapi.json from the route table")

// docFixture is the API over a real store in a temporary directory:
// property acme, its admin ann with a token, a ticket #1 from a customer,
// the inbound pipeline for held mail, and metrics served (a handler
// answering one line).
type docFixture struct {
	api   *Server
	srv   *httptest.Server
	token string
}

func newDocFixture(t *testing.T) *docFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "api.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	prop, err := st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMember(ctx, "acme", ticket.Member{Email: "ann@acme.test", Name: "Ann", Role: ticket.RoleAdmin}, "test"); err != nil {
		t.Fatal(err)
	}
	dk := desk.New(desk.Options{Store: st, Keys: keys})
	err = st.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Contact(prop.ID, "carol@example.com", "Carol")
		if err != nil {
			return err
		}
		tk := ticket.Ticket{Subject: "The printer jams", Status: ticket.StatusOpen}
		return dk.NewOp(tx, prop, desk.AsContact(c), nil).Open(&tk, c, "opened by inbound mail")
	})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := st.CreateToken(ctx, "ann@acme.test", "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "up 1\n") })
	held := ingest.New(ingest.Options{Store: st, Keys: keys})
	f := &docFixture{api: New(Options{Store: st, Desk: dk, Held: held, Metrics: metrics}), token: secret}
	f.srv = httptest.NewServer(f.api.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// docOf fetches /api/openapi.json, without a token, and decodes it.
func (f *docFixture) docOf(t *testing.T) ([]byte, map[string]any) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("/api/openapi.json: %d %s\n%.500s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("/api/openapi.json is not JSON: %v", err)
	}
	return raw, doc
}

// muxPath turns a ServeMux pattern into its OpenAPI path ({name...} is
// {name}).
func muxPath(p string) string { return strings.ReplaceAll(p, "...}", "}") }

// TestOpenAPIDocument (issue 13 item 3): the document is OpenAPI 3.1 and
// documents every route the server has, with its method, path
// parameters, security (none on public routes) and problem answers; every
// $ref resolves; operation ids are unique.
func TestOpenAPIDocument(t *testing.T) {
	f := newDocFixture(t)
	raw, doc := f.docOf(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	ids := map[string]string{}
	for _, r := range f.api.Routes() {
		name := r.Method + " " + r.Path
		op, ok := dig(paths, muxPath(r.Path), strings.ToLower(r.Method)).(map[string]any)
		if !ok {
			t.Errorf("%s is not documented", name)
			continue
		}
		if id, _ := op["operationId"].(string); id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q is empty or also %s's", name, id, ids[id])
		} else {
			ids[id] = name
		}
		sec, hasSec := op["security"].([]any)
		if public := r.Access == "public"; public != (hasSec && len(sec) == 0) {
			t.Errorf("%s (%s): security %v", name, r.Access, op["security"])
		}
		var inPath []string
		inQuery := 0
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			switch p := p.(map[string]any); p["in"] {
			case "path":
				inPath = append(inPath, p["name"].(string))
			case "query":
				inQuery++
			}
		}
		if want := regexp.MustCompile(`\{(\w+)(?:\.\.\.)?\}`).FindAllStringSubmatch(r.Path, -1); len(want) != len(inPath) {
			t.Errorf("%s: path parameters %v", name, inPath)
		}
		if inQuery != len(r.Query) {
			t.Errorf("%s: %d query parameters documented, want %d", name, inQuery, len(r.Query))
		}
		if r.Access != "public" && dig(op, "responses", "401", "$ref") != "#/components/responses/Unauthorized" {
			t.Errorf("%s: no 401 problem documented", name)
		}
		if r.Request != nil && dig(op, "requestBody", "content", "application/json", "schema") == nil {
			t.Errorf("%s: no request body documented", name)
		}
		if r.Upload && dig(op, "requestBody", "content", "multipart/form-data") == nil {
			t.Errorf("%s: takes uploads, but no multipart body is documented", name)
		}
	}
	for _, ref := range regexp.MustCompile(`"\$ref": "#/([^"]+)"`).FindAllSubmatch(raw, -1) {
		var at any = doc
		for _, k := range strings.Split(string(ref[1]), "/") {
			at = dig(at, k)
		}
		if at == nil {
			t.Errorf("$ref #/%s resolves to nothing", ref[1])
		}
	}
	if dig(doc, "components", "schemas", "Problem", "properties", "status", "type") != "integer" {
		t.Errorf("the problem schema: %v", dig(doc, "components", "schemas", "Problem"))
	}
}

// dig walks decoded JSON by object keys; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestOpenAPIGolden: the document is testdata/openapi.json, so that a
// change to the API shows in review. go test ./webapi -run OpenAPIGolden
// -update writes it anew.
func TestOpenAPIGolden(t *testing.T) {
	f := newDocFixture(t)
	raw, _ := f.docOf(t)
	golden := filepath.Join("testdata", "openapi.json")
	if *updateOpenAPI {
		if err := os.WriteFile(golden, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./webapi -run OpenAPIGolden -update writes it)", err)
	}
	if !bytes.Equal(raw, want) {
		t.Errorf("the OpenAPI document differs from %s; if the change is meant, run go test ./webapi -run OpenAPIGolden -update and review the diff", golden)
	}
}

// TestEveryDocumentedOperationAnswers: each operation of the document,
// called with an admin's token (a JSON body {} where it takes one), is
// answered by its handler: never by the mux's own 404 or 405 (plain text;
// ours are problem details), never by a 5xx. Reads go first and deletions
// last, so that most calls find the seeded data.
func TestEveryDocumentedOperationAnswers(t *testing.T) {
	f := newDocFixture(t)
	_, doc := f.docOf(t)
	type call struct{ method, path string }
	var calls []call
	for path, ops := range doc["paths"].(map[string]any) {
		for method := range ops.(map[string]any) {
			calls = append(calls, call{strings.ToUpper(method), path})
		}
	}
	order := map[string]int{"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}
	slices.SortFunc(calls, func(a, b call) int {
		if d := order[a.method] - order[b.method]; d != 0 {
			return d
		}
		return strings.Compare(a.path, b.path)
	})
	if len(calls) != len(f.api.Routes()) {
		t.Errorf("the document has %d operations, the server %d routes", len(calls), len(f.api.Routes()))
	}
	params := regexp.MustCompile(`\{(\w+)\}`)
	for _, c := range calls {
		url := params.ReplaceAllStringFunc(c.path, func(m string) string {
			switch name := m[1 : len(m)-1]; {
			case name == "prop":
				return "acme"
			case pathParamType(name) == "integer":
				return "1"
			}
			return "nobody@acme.test"
		})
		var body io.Reader
		if dig(doc, "paths", c.path, strings.ToLower(c.method), "requestBody") != nil {
			body = strings.NewReader("{}")
		}
		status, ct, text := f.request(t, c.method, url, body)
		name := c.method + " " + c.path
		switch {
		case status == 0:
			t.Errorf("%s: no answer within 5s: %s", name, text)
		case status >= 400 && ct != problemType:
			t.Errorf("%s: %d %q (%s) is not a problem: an error of the API is one (the mux's own 404 and 405 too)", name, status, text, ct)
		case status >= 500:
			t.Errorf("%s: %d %s", name, status, text)
		}
	}
}

// request calls the API as the admin; it returns the status, content type
// and the start of the body (0 and the error if no answer came in time).
// Only the start is read: a stream does not end.
func (f *docFixture) request(t *testing.T, method, url string, body io.Reader) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, f.srv.URL+url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	start := make([]byte, 200)
	n, _ := io.ReadAtLeast(resp.Body, start, 1)
	mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return resp.StatusCode, mt, string(start[:n])
}

// TestOpenAPIValidates checks the document with openapi-spec-validator
// (Python), the reference validator of OpenAPI 3.1 documents, when it is
// installed.
func TestOpenAPIValidates(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: this test checks the document with openapi-spec-validator")
	}
	if out, err := exec.Command(python, "-c", "import openapi_spec_validator").CombinedOutput(); err != nil {
		t.Skipf("openapi-spec-validator not installed (pip install openapi-spec-validator): %s", out)
	}
	f := newDocFixture(t)
	raw, _ := f.docOf(t)
	path := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	check := "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))"
	if out, err := exec.Command(python, "-c", check, path).CombinedOutput(); err != nil {
		t.Errorf("the document is not valid OpenAPI 3.1: %v\n%s", err, out)
	}
}

// TestSchemaOf: the schemas of Go types are what encoding/json makes of
// them.
func TestSchemaOf(t *testing.T) {
	type inner struct {
		A string `json:"a"`
	}
	type Embedded struct {
		E int `json:"e"`
	}
	type sample struct {
		Embedded
		Name     string          `json:"name"`
		Opt      string          `json:"opt,omitempty"`
		When     time.Time       `json:"when,omitzero"`
		Ptr      *inner          `json:"ptr"`
		OptPtr   *inner          `json:"opt_ptr,omitempty"`
		Tags     []string        `json:"tags"`
		Fields   map[string]int  `json:"fields"`
		Raw      json.RawMessage `json:"raw"`
		Data     []byte          `json:"data"`
		Prio     ticket.Priority `json:"prio"`
		Skipped  string          `json:"-"`
		NoTag    bool
		unexport int
		Nested   struct{ X int64 } `json:"nested"`
	}
	sc := newSchemas()
	got, err := json.Marshal(sc.of(sample{}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"$ref":"#/components/schemas/Sample"}`; string(got) != want {
		t.Errorf("ref = %s, want %s", got, want)
	}
	comp, err := json.Marshal(sc.components["Sample"])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"object","properties":{` +
		`"NoTag":{"type":"boolean"},` +
		`"data":{"type":"string","description":"base64 (RFC 4648 §4)","contentMediaType":"application/octet-stream"},` +
		`"e":{"type":"integer","format":"int64"},` +
		`"fields":{"type":"object","additionalProperties":{"type":"integer","format":"int64"}},` +
		`"name":{"type":"string"},` +
		`"nested":{"type":"object","properties":{"X":{"type":"integer","format":"int64"}},"required":["X"],"additionalProperties":false},` +
		`"opt":{"type":"string"},` +
		`"opt_ptr":{"$ref":"#/components/schemas/Inner"},` +
		`"prio":{"type":"string","enum":["lowest","low","medium","high","highest"]},` +
		`"ptr":{"anyOf":[{"$ref":"#/components/schemas/Inner"},{"type":"null"}]},` +
		`"raw":{"description":"any JSON value"},` +
		`"tags":{"type":"array","items":{"type":"string"}},` +
		`"when":{"type":"string","format":"date-time"}},` +
		`"required":["e","name","ptr","tags","fields","raw","data","prio","NoTag","nested"],"additionalProperties":false}`
	if string(comp) != want {
		t.Errorf("schema:\n got %s\nwant %s", comp, want)
	}
	if sc.components["Inner"] == nil {
		t.Error("inner is not a component")
	}
}
