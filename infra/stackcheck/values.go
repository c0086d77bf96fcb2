package stackcheck

import (
	"slices"
	"strings"
)

// get walks nested maps along keys and returns the value found, or nil.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// getString is get for a plain string value ("" when absent or not a string).
func getString(v any, keys ...string) string {
	s, _ := get(v, keys...).(string)
	return s
}

// isTrue reports whether v is the boolean true or the string "true" (which
// CloudFormation accepts for Boolean properties).
func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// isFalse is the counterpart of isTrue.
func isFalse(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case string:
		return strings.EqualFold(x, "false")
	}
	return false
}

// list returns v as a list: a []any as is, nil as nil, anything else as a
// one-element list (IAM and CloudFormation accept a scalar for a list of one).
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// stringsOf returns the plain strings of list(v), skipping intrinsics.
func stringsOf(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// intrinsicName returns the key of a one-key map whose key is an intrinsic
// function ("Ref", "Condition" or "Fn::..."), or "".
func intrinsicName(v any) string {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return ""
	}
	for k := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k
		}
	}
	return ""
}

// refs returns, in order of appearance and without duplicates, the logical
// ids v refers to through Ref, Fn::GetAtt and ${...} in Fn::Sub, anywhere in
// the value. Pseudo parameters (AWS::Region, ...) are left out; parameters
// are not (callers look the ids up in the template's resources). SAM's
// "Ref: Fn.Alias" style and GetAtt attributes are reduced to the logical id.
func refs(v any) []string {
	var out []string
	add := func(name string) {
		name = strings.TrimSpace(name)
		if name == "" || strings.Contains(name, "::") {
			return
		}
		id, _, _ := strings.Cut(name, ".")
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if len(x) == 1 {
				if s, ok := x["Ref"].(string); ok {
					add(s)
					return
				}
				if l, ok := x["Fn::GetAtt"].([]any); ok && len(l) > 0 {
					if s, ok := l[0].(string); ok {
						add(s)
					}
					for _, e := range l[1:] {
						walk(e)
					}
					return
				}
				if sub, ok := x["Fn::Sub"]; ok {
					tmpl, vars := sub, map[string]any(nil)
					if l, ok := sub.([]any); ok && len(l) > 0 {
						tmpl = l[0]
						if len(l) > 1 {
							vars, _ = l[1].(map[string]any)
						}
					}
					if s, ok := tmpl.(string); ok {
						for _, name := range subVariables(s) {
							if _, local := vars[strings.TrimSpace(name)]; !local {
								add(name)
							}
						}
					} else {
						walk(tmpl)
					}
					for _, k := range sortedKeys(vars) {
						walk(vars[k])
					}
					return
				}
			}
			for _, k := range sortedKeys(x) {
				walk(x[k])
			}
		}
	}
	walk(v)
	return out
}

// subVariables returns the names inside ${...} of an Fn::Sub string,
// skipping the ${!Literal} escape.
func subVariables(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.Index(s, "}")
		if j < 0 {
			return out
		}
		if name := s[:j]; !strings.HasPrefix(name, "!") {
			out = append(out, name)
		}
		s = s[j+1:]
	}
}

// refsOfType returns the ids in refs(v) that are resources of one of types.
func (t *Template) refsOfType(v any, types ...string) []string {
	var out []string
	for _, id := range refs(v) {
		if slices.Contains(types, t.typeOf(id)) {
			out = append(out, id)
		}
	}
	return out
}

// sortedKeys returns the keys of m in sorted order, for deterministic walks.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
