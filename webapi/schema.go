package webapi

import (
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// schema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1),
// with the keywords the API's types need.
type schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 any                `json:"type,omitempty"` // a name, or a list of names
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"` // *schema or false
	AnyOf                []*schema          `json:"anyOf,omitempty"`
	ContentMediaType     string             `json:"contentMediaType,omitempty"`
}

// schemas makes the schemas of Go types by reflection, as encoding/json
// encodes them: a struct's exported fields by their json names, a field
// with omitempty or omitzero not required, time.Time a date-time string
// (RFC 3339), a map an object, a slice an array, a pointer its element or
// null. Named structs become components, referred to by $ref.
type schemas struct {
	components map[string]*schema
	names      map[reflect.Type]string // the component of each named struct
}

func newSchemas() *schemas {
	return &schemas{components: map[string]*schema{}, names: map[reflect.Type]string{}}
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// of returns the schema of v's type (nil for nil).
func (s *schemas) of(v any) *schema {
	if v == nil {
		return nil
	}
	return s.typ(reflect.TypeOf(v))
}

// typ returns the schema of t: a $ref for a named struct, else inline.
func (s *schemas) typ(t reflect.Type) *schema {
	switch {
	case t == timeType:
		return &schema{Type: "string", Format: "date-time"}
	case t == rawMessageType:
		return &schema{Description: "any JSON value"}
	case t.Kind() != reflect.Pointer && t.Implements(jsonMarshalerType):
		return &schema{Description: "any JSON value"}
	case t.Kind() != reflect.Pointer && t.Implements(textMarshalerType):
		return &schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return s.typ(t.Elem())
	case reflect.Bool:
		return &schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &schema{Type: "integer", Format: intFormat(t)}
	case reflect.Float32, reflect.Float64:
		return &schema{Type: "number"}
	case reflect.String:
		return &schema{Type: "string", Enum: enumOf(t)}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &schema{Type: "string", ContentMediaType: "application/octet-stream",
				Description: "base64 (RFC 4648 §4)"}
		}
		return &schema{Type: "array", Items: s.typ(t.Elem())}
	case reflect.Map:
		return &schema{Type: "object", AdditionalProperties: s.typ(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return s.object(t)
		}
		return s.ref(t)
	case reflect.Interface:
		return &schema{Description: "any JSON value"}
	}
	return &schema{Description: "not described: " + t.String()}
}

// intFormat is the OpenAPI format of an integer type.
func intFormat(t reflect.Type) string {
	if t.Size() == 8 {
		return "int64"
	}
	return "int32"
}

// ref makes t a component, once, and refers to it.
func (s *schemas) ref(t reflect.Type) *schema {
	name, ok := s.names[t]
	if !ok {
		name = s.componentName(t)
		s.names[t] = name
		s.components[name] = nil // taken, while its fields are made
		s.components[name] = s.object(t)
	}
	return &schema{Ref: "#/components/schemas/" + name}
}

// genericArgs finds the type arguments in the name of an instantiated
// generic type: Page[github.com/x/ticket.Ticket].
var genericArgs = regexp.MustCompile(`[\w./-]*\.(\w+)`)

// componentName names a struct's component: its name, capitalised;
// Page[ticket.Ticket] is PageTicket; package-qualified when two packages
// have a type of one name.
func (s *schemas) componentName(t reflect.Type) string {
	name, args, generic := strings.Cut(t.Name(), "[")
	name = strings.ToUpper(name[:1]) + name[1:]
	if generic {
		for _, m := range genericArgs.FindAllStringSubmatch(args, -1) {
			name += m[1]
		}
	}
	if _, taken := s.components[name]; taken {
		pkg := t.PkgPath()
		name = pkg[strings.LastIndexByte(pkg, '/')+1:] + "." + name
	}
	return name
}

// object is the schema of a struct's fields, as encoding/json sees them
// (embedded structs' fields are promoted).
func (s *schemas) object(t reflect.Type) *schema {
	out := &schema{Type: "object", Properties: map[string]*schema{}, AdditionalProperties: false}
	s.fields(t, out)
	return out
}

func (s *schemas) fields(t reflect.Type, out *schema) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				s.fields(ft, out)
				continue
			}
			if !f.IsExported() {
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		fs := s.typ(ft)
		optional := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		if ft.Kind() == reflect.Pointer && !optional {
			fs = &schema{AnyOf: []*schema{fs, {Type: "null"}}}
		}
		out.Properties[name] = fs
		if !optional {
			out.Required = append(out.Required, name)
		}
	}
}

// enumOf lists the words of the domain's enumerations, for their schemas.
func enumOf(t reflect.Type) []string {
	var words []string
	add := func(ws ...string) { words = append(words, ws...) }
	switch t {
	case reflect.TypeFor[ticket.Status]():
		for _, s := range []ticket.Status{ticket.StatusOpen, ticket.StatusAnswered, ticket.StatusSnoozed,
			ticket.StatusClosed, ticket.StatusDeleted, ticket.StatusSpam} {
			add(string(s))
		}
	case reflect.TypeFor[ticket.Priority]():
		for _, p := range ticket.Priorities() {
			add(string(p))
		}
	case reflect.TypeFor[ticket.Role]():
		add(string(ticket.RoleAdmin), string(ticket.RoleAgent))
	case reflect.TypeFor[ticket.HookType]():
		for _, h := range ticket.HookTypes() {
			add(string(h))
		}
	}
	return words
}
