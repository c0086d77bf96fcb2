package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// schema is the subset of JSON Schema that tool parameters use and Execute
// checks: an object at the top; "type" (object, string, integer, number,
// boolean, array), "properties", "required", "additionalProperties": false,
// "enum" (of strings), "minLength"/"maxLength" (in characters),
// "minimum"/"maximum", "items". "description" and any other keyword are
// sent to the model but not checked here. A null property counts as absent
// (models send it for "not given"): dropped if optional, missing if
// required.
type schema struct {
	Type                 string             `json:"type"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	AdditionalProperties *bool              `json:"additionalProperties"`
	Enum                 []string           `json:"enum"`
	MinLength            *int               `json:"minLength"`
	MaxLength            *int               `json:"maxLength"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
	Items                *schema            `json:"items"`

	order []string // property names in the order the schema lists them
}

// objectSchema is the Parameters of a built-in tool: an object with props
// (each `"name": {...}`, in the order given), of which required must be
// given, and no other property (additionalProperties false, which every
// built-in tool has so that an argument such as "businessId" is refused).
func objectSchema(required []string, props ...string) json.RawMessage {
	var b strings.Builder
	b.WriteString("{\n  \"type\": \"object\",\n  \"properties\": {\n    ")
	b.WriteString(strings.Join(props, ",\n    "))
	b.WriteString("\n  },\n")
	if len(required) > 0 {
		b.WriteString(`  "required": ["` + strings.Join(required, `", "`) + "\"],\n")
	}
	b.WriteString(`  "additionalProperties": false` + "\n}")
	return json.RawMessage(b.String())
}

func parseSchema(raw json.RawMessage) (*schema, error) {
	if len(raw) == 0 {
		return nil, errors.New("missing")
	}
	var s schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if s.Type != "object" {
		return nil, fmt.Errorf("type is %q, want object", s.Type)
	}
	if err := s.prepare(raw); err != nil {
		return nil, err
	}
	return &s, nil
}

// prepare checks the schema is within the subset and records property order.
func (s *schema) prepare(raw json.RawMessage) error {
	switch s.Type {
	case "object", "string", "integer", "number", "boolean", "array":
	default:
		return fmt.Errorf("unsupported type %q", s.Type)
	}
	if s.Type == "array" && s.Items == nil {
		return errors.New("array without items")
	}
	for _, r := range s.Required {
		if s.Properties[r] == nil {
			return fmt.Errorf("required %q is not a property", r)
		}
	}
	if s.Type == "object" {
		var props struct {
			Properties json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(raw, &props); err != nil {
			return err
		}
		order, err := keyOrder(props.Properties)
		if err != nil {
			return err
		}
		s.order = order
		var sub struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(raw, &sub); err != nil {
			return err
		}
		for name, p := range s.Properties {
			if err := p.prepare(sub.Properties[name]); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	if s.Items != nil {
		var sub struct {
			Items json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(raw, &sub); err != nil {
			return err
		}
		return s.Items.prepare(sub.Items)
	}
	return nil
}

// keyOrder returns the keys of a JSON object in document order.
func keyOrder(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// check parses arguments and checks them against the schema. It returns
// the arguments re-encoded without null optional properties, so Run can
// decode them into a struct without surprises.
func (s *schema) check(raw []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the arguments are not valid JSON (%v)", err)
	}
	if dec.More() {
		return nil, errors.New("the arguments are not one JSON object (something follows it)")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the arguments are %s, not a JSON object", jsonKind(v))
	}
	if err := s.checkValue("", obj); err != nil {
		return nil, err
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("the arguments could not be read (%v)", err)
	}
	return out, nil
}

func (s *schema) checkValue(path string, v any) error {
	name := path
	if name == "" {
		name = "the arguments"
	}
	switch s.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s must be an object, not %s", name, jsonKind(v))
		}
		var unknown []string
		for k, val := range obj {
			p := s.Properties[k]
			if p == nil {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					unknown = append(unknown, k)
				}
				continue
			}
			if val == nil {
				delete(obj, k) // null means not given
				continue
			}
			if err := p.checkValue(join(path, k), val); err != nil {
				return err
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return fmt.Errorf("unexpected %s %s", plural(len(unknown), "argument", "arguments"), quoteList(unknown))
		}
		var missing []string
		for _, r := range s.Required {
			if val, ok := obj[r]; !ok || val == nil {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("missing required %s %s", plural(len(missing), "argument", "arguments"), quoteList(missing))
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s must be a string, not %s", name, jsonKind(v))
		}
		n := utf8.RuneCountInString(str)
		if s.MinLength != nil && n < *s.MinLength {
			if strings.TrimSpace(str) == "" {
				return fmt.Errorf("%s is empty", name)
			}
			return fmt.Errorf("%s is too short (at least %d characters)", name, *s.MinLength)
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			return fmt.Errorf("%s is too long (%d characters, at most %d)", name, n, *s.MaxLength)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			return fmt.Errorf("%s must be one of %s, not %q", name, strings.Join(s.Enum, ", "), str)
		}
	case "integer", "number":
		num, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s must be a number, not %s", name, jsonKind(v))
		}
		f, err := num.Float64()
		if err != nil {
			return fmt.Errorf("%s is not a usable number", name)
		}
		if s.Type == "integer" {
			if _, err := num.Int64(); err != nil {
				return fmt.Errorf("%s must be a whole number, not %s", name, num)
			}
		}
		if s.Minimum != nil && f < *s.Minimum || s.Maximum != nil && f > *s.Maximum {
			return fmt.Errorf("%s is out of range", name)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s must be true or false, not %s", name, jsonKind(v))
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s must be an array, not %s", name, jsonKind(v))
		}
		for i, el := range arr {
			if err := s.Items.checkValue(fmt.Sprintf("%s[%d]", name, i), el); err != nil {
				return err
			}
		}
	}
	return nil
}

// summary describes the parameters for an error message:
// `"name" (string), "phone" (string), "info_type" (required: all, hours, ...)`
// or "no arguments: {}".
func (s *schema) summary() string {
	if len(s.order) == 0 {
		return "no arguments: {}"
	}
	parts := make([]string, 0, len(s.order))
	for _, k := range s.order {
		p := s.Properties[k]
		var d []string
		if slices.Contains(s.Required, k) {
			d = append(d, "required")
		} else {
			d = append(d, "optional")
		}
		if len(p.Enum) > 0 {
			d = append(d, "one of "+strings.Join(p.Enum, "|"))
		} else {
			d = append(d, p.Type)
		}
		parts = append(parts, fmt.Sprintf("%q (%s)", k, strings.Join(d, " ")))
	}
	return "only these properties: " + strings.Join(parts, ", ")
}

func join(path, k string) string {
	if path == "" {
		return fmt.Sprintf("%q", k)
	}
	return path + "." + k
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
