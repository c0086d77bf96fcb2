package localaws

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Filter is a Lambda event filter (an event source mapping's
// FilterCriteria): a record is delivered when any pattern matches it. The
// pattern language is the subset Lambda documents for DynamoDB and the
// template may use: nested objects, lists of exact values (strings,
// numbers, booleans, null), and the prefix, exists and anything-but
// operators. Any other operator is an error when the filter is built, so a
// pattern the local stack cannot evaluate fails loudly.
type Filter struct {
	patterns []map[string]any
}

// NewFilter compiles the patterns (JSON). No pattern matches everything.
func NewFilter(patterns []string) (*Filter, error) {
	f := &Filter{}
	for _, p := range patterns {
		var m map[string]any
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			return nil, fmt.Errorf("filter pattern %s: %w", p, err)
		}
		if err := check(m, ""); err != nil {
			return nil, fmt.Errorf("filter pattern %s: %w", p, err)
		}
		f.patterns = append(f.patterns, m)
	}
	return f, nil
}

func check(pattern map[string]any, path string) error {
	for k, v := range pattern {
		switch v := v.(type) {
		case map[string]any:
			if err := check(v, path+"."+k); err != nil {
				return err
			}
		case []any:
			for _, e := range v {
				op, ok := e.(map[string]any)
				if !ok {
					continue
				}
				for name, arg := range op {
					switch name {
					case "prefix":
						if _, ok := arg.(string); !ok {
							return fmt.Errorf("%s.%s: prefix wants a string", path, k)
						}
					case "exists":
						if _, ok := arg.(bool); !ok {
							return fmt.Errorf("%s.%s: exists wants true or false", path, k)
						}
					case "anything-but":
					default:
						return fmt.Errorf("%s.%s: operator %q is not supported locally", path, k, name)
					}
				}
			}
		default:
			return fmt.Errorf("%s.%s: a pattern value is an object or a list", path, k)
		}
	}
	return nil
}

// Match reports whether the event (a record as Lambda passes it, decoded
// from JSON) matches any pattern.
func (f *Filter) Match(event map[string]any) bool {
	if len(f.patterns) == 0 {
		return true
	}
	for _, p := range f.patterns {
		if matchObject(p, event) {
			return true
		}
	}
	return false
}

func matchObject(pattern, event map[string]any) bool {
	for k, want := range pattern {
		got, present := event[k]
		switch want := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matchObject(want, sub) {
				return false
			}
		case []any:
			if !matchValues(want, got, present) {
				return false
			}
		}
	}
	return true
}

// matchValues matches one field: any of the pattern's values against the
// field's value (or any element of it, when it is a list).
func matchValues(want []any, got any, present bool) bool {
	values := []any{got}
	if l, ok := got.([]any); ok {
		values = l
	}
	for _, w := range want {
		op, isOp := w.(map[string]any)
		if isOp {
			if e, ok := op["exists"]; ok {
				if e.(bool) == present {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		for _, v := range values {
			switch {
			case !isOp:
				if equal(w, v) {
					return true
				}
			case op["prefix"] != nil:
				if s, ok := v.(string); ok && strings.HasPrefix(s, op["prefix"].(string)) {
					return true
				}
			case op["anything-but"] != nil:
				but := op["anything-but"]
				list, ok := but.([]any)
				if !ok {
					list = []any{but}
				}
				hit := false
				for _, b := range list {
					hit = hit || equal(b, v)
				}
				if !hit {
					return true
				}
			}
		}
	}
	return false
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case float64:
		// DynamoDB numbers arrive as strings in records; compare by value.
		switch b := b.(type) {
		case float64:
			return a == b
		case string:
			var f float64
			return json.Unmarshal([]byte(b), &f) == nil && f == a
		}
		return false
	case nil:
		return b == nil
	}
	return a == b
}
