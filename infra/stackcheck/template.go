package stackcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed CloudFormation/SAM template. All values are plain Go
// values (map[string]any, []any, string, bool, int, float64, nil) with
// intrinsic functions in long form ({"Ref": x}, {"Fn::GetAtt": [a, b]}, ...).
type Template struct {
	// Path is the file the template was loaded from ("" for Parse).
	Path string
	// Body is the whole template document.
	Body map[string]any
	// Resources maps logical ids to resources.
	Resources map[string]Resource

	order []string // logical ids in document order
}

// Resource is one entry of the template's Resources section.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any // nil when absent
	Metadata   map[string]any // nil when absent
	// DeletionPolicy and UpdateReplacePolicy are "" when absent or not a
	// plain string.
	DeletionPolicy      string
	UpdateReplacePolicy string
	// Line is the 1-based line of the logical id in the source.
	Line int
}

// LogicalIDs returns the logical ids of all resources in document order.
func (t *Template) LogicalIDs() []string {
	return append([]string(nil), t.order...)
}

// Globals returns the Globals section entry for kind ("Function", "Api",
// ...), or nil.
func (t *Template) Globals(kind string) map[string]any {
	g, _ := t.Body["Globals"].(map[string]any)
	m, _ := g[kind].(map[string]any)
	return m
}

// ofType returns the resources of the given types in document order.
func (t *Template) ofType(types ...string) []Resource {
	var out []Resource
	for _, id := range t.order {
		r := t.Resources[id]
		for _, typ := range types {
			if r.Type == typ {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// typeOf returns the type of resource id, or "" if there is no such resource.
func (t *Template) typeOf(id string) string {
	return t.Resources[id].Type
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.Path = path
	return t, nil
}

// Parse parses a template from YAML (or JSON) source.
func Parse(data []byte) (*Template, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty template")
		}
		return nil, err
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: template is not a mapping", root.Line)
	}
	v, err := convert(root)
	if err != nil {
		return nil, err
	}
	t := &Template{Body: v.(map[string]any), Resources: map[string]Resource{}}

	resNode := mappingValue(root, "Resources")
	if resNode == nil {
		return nil, errors.New("template has no Resources section")
	}
	if resNode.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: Resources is not a mapping", resNode.Line)
	}
	resources := t.Body["Resources"].(map[string]any)
	for i := 0; i+1 < len(resNode.Content); i += 2 {
		key := resNode.Content[i]
		if key.ShortTag() == "!!merge" {
			continue
		}
		if err := t.addResource(resources, key.Value, key.Line); err != nil {
			return nil, err
		}
	}
	// Resources that came in through a YAML merge key follow, sorted.
	var merged []string
	for id := range resources {
		if _, seen := t.Resources[id]; !seen {
			merged = append(merged, id)
		}
	}
	slices.Sort(merged)
	for _, id := range merged {
		if err := t.addResource(resources, id, 0); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// addResource records resource id of the converted Resources section.
func (t *Template) addResource(resources map[string]any, id string, line int) error {
	body, ok := resources[id].(map[string]any)
	if !ok {
		return fmt.Errorf("line %d: resource %s is not a mapping", line, id)
	}
	typ, ok := body["Type"].(string)
	if !ok || typ == "" {
		return fmt.Errorf("line %d: resource %s has no Type", line, id)
	}
	r := Resource{LogicalID: id, Type: typ, Line: line}
	r.Properties, _ = body["Properties"].(map[string]any)
	r.Metadata, _ = body["Metadata"].(map[string]any)
	r.DeletionPolicy, _ = body["DeletionPolicy"].(string)
	r.UpdateReplacePolicy, _ = body["UpdateReplacePolicy"].(string)
	t.Resources[id] = r
	t.order = append(t.order, id)
	return nil
}

// mappingValue returns the value node of key in mapping node m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			for v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// shortForms maps CloudFormation short-form tags to their long-form keys.
var shortForms = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!GetAtt":       "Fn::GetAtt",
	"!Sub":          "Fn::Sub",
	"!Join":         "Fn::Join",
	"!If":           "Fn::If",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!Equals":       "Fn::Equals",
	"!Not":          "Fn::Not",
	"!And":          "Fn::And",
	"!Or":           "Fn::Or",
	"!FindInMap":    "Fn::FindInMap",
	"!ImportValue":  "Fn::ImportValue",
	"!Base64":       "Fn::Base64",
	"!Cidr":         "Fn::Cidr",
	"!GetAZs":       "Fn::GetAZs",
	"!Transform":    "Fn::Transform",
	"!Length":       "Fn::Length",       // AWS::LanguageExtensions
	"!ToJsonString": "Fn::ToJsonString", // AWS::LanguageExtensions
}

// convert turns a yaml.Node into plain Go values, rewriting short-form
// intrinsic tags into long-form maps.
func convert(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0])
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: unresolved alias *%s", n.Line, n.Value)
		}
		return convert(n.Alias)
	}

	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		key, ok := shortForms[n.Tag]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		var v any
		if n.Kind == yaml.ScalarNode {
			// The operand of a short-form tag is always a string
			// (`!Ref Stage`, `!GetAZs ""`, `!Sub "x-${Stage}"`).
			v = n.Value
		} else {
			untagged := *n
			untagged.Tag = ""
			var err error
			if v, err = convert(&untagged); err != nil {
				return nil, err
			}
		}
		if key == "Fn::GetAtt" {
			if s, isString := v.(string); isString {
				parts, err := splitGetAtt(s)
				if err != nil {
					return nil, fmt.Errorf("line %d: !GetAtt %w", n.Line, err)
				}
				v = parts
			}
		}
		return map[string]any{key: v}, nil
	}

	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float", "!!bool", "!!null":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			return v, nil
		default: // !!str, !!timestamp, !!binary: keep the source text
			return n.Value, nil
		}
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				merges = append(merges, vn) // explicit keys win: merge last
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := convert(vn)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		for _, vn := range merges {
			if err := merge(out, vn); err != nil {
				return nil, err
			}
		}
		// Long-form Fn::GetAtt in its string form ("A.B") becomes the list
		// form, like the short form does.
		if s, ok := out["Fn::GetAtt"].(string); ok && len(out) == 1 {
			parts, err := splitGetAtt(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: Fn::GetAtt %w", n.Line, err)
			}
			out["Fn::GetAtt"] = parts
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// merge applies a YAML merge key ("<<: *anchor" or "<<: [*a, *b]") to out;
// keys already present win.
func merge(out map[string]any, vn *yaml.Node) error {
	for vn.Kind == yaml.AliasNode && vn.Alias != nil {
		vn = vn.Alias
	}
	srcs := []*yaml.Node{vn}
	if vn.Kind == yaml.SequenceNode {
		srcs = vn.Content
	}
	for _, s := range srcs {
		v, err := convert(s)
		if err != nil {
			return err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("line %d: merge key value is not a mapping", s.Line)
		}
		for k, x := range m {
			if _, present := out[k]; !present {
				out[k] = x
			}
		}
	}
	return nil
}

// splitGetAtt splits "LogicalId.Attribute[.Sub]" at the first dot.
func splitGetAtt(s string) ([]any, error) {
	id, attr, ok := strings.Cut(s, ".")
	if !ok || id == "" || attr == "" {
		return nil, fmt.Errorf("%q: want LogicalId.Attribute", s)
	}
	return []any{id, attr}, nil
}
