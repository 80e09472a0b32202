package webapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// Page is one page of a listing. Next, when set, is the cursor of the
// page after it: pass it as ?cursor= (cursor pagination: a page stays right
// while rows are added).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// Limits of a listing's page size.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// writeJSON answers v as JSON with status.
func (c *call) writeJSON(status int, v any) error {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	enc := json.NewEncoder(c.w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ok answers v as JSON with 200.
func (c *call) ok(v any) error { return c.writeJSON(http.StatusOK, v) }

// readJSON checks that the request's body is JSON and decodes it into v
// with decodeStrict, in the API's words.
func (c *call) readJSON(v any) error {
	if mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type")); mt != "" && mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, title: "Unsupported Media Type",
			detail: "the body must be application/json"}
	}
	err := decodeStrict(c.r.Body, v)
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("the request has no JSON body")
	case errors.Is(err, errMoreJSON):
		return badRequest("the body holds more than one JSON value")
	}
	return badRequest("the JSON body does not read: %s", jsonError(err))
}

// errMoreJSON is decodeStrict's error for a body of more than one value.
var errMoreJSON = errors.New("more than one JSON value")

// decodeStrict decodes the one JSON value of r into v, refusing unknown
// fields (a typo would otherwise change nothing, silently) and anything
// after the value (errMoreJSON).
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errMoreJSON
	}
	return nil
}

// pathInt reads a positive integer path value ({n}, {id}).
func (c *call) pathInt(name string) (int64, error) {
	v := c.r.PathValue(name)
	n, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest("%s %q is not a positive number", name, v)
	}
	return n, nil
}

// limit reads ?limit= (default 50, at most 500).
func (c *call) limit() (int, error) {
	v := c.r.URL.Query().Get("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > maxLimit {
		return 0, badRequest("limit %q: want a number from 1 to %d", v, maxLimit)
	}
	return n, nil
}

// jsonError says what is wrong with a JSON body in the API's words: a
// value of the wrong kind by its field's JSON name and the kind wanted,
// never the Go type it was to be read into (encoding/json names it).
func jsonError(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	if te.Field == "" { // every body the API reads is an object
		return fmt.Sprintf("want a JSON object, got %s", te.Value)
	}
	return fmt.Sprintf("%s: want %s, got %s", te.Field, jsonKind(te.Type), te.Value)
}

// jsonKind names the JSON values a Go type reads, with an article.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
