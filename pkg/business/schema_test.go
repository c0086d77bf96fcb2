package business

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ahca/ahca/internal/reference"
	"github.com/ahca/ahca/pkg/tenant"
)

const schemaDir = "../../configs/schema"

// vocabulary returns every key path the parser reads from a file kind, by
// running it over an empty document in collecting mode.
func vocabulary(kind string) map[string]bool {
	var problems, warnings Problems
	f := &file{name: kind, problems: &problems, warnings: &warnings, vocab: map[string]bool{}}
	root := &node{kind: kindObject}
	switch kind {
	case "config":
		parseConfig(f, root, "x")
	case "prompt_rules":
		parsePrompts(f, root)
	case "businesses":
		s := &Set{numbers: map[string]tenant.ID{}, shared: map[string]SharedNumber{}, businesses: map[tenant.ID]*Business{}}
		s.parseIndex(f, root)
	}
	return f.vocab
}

// schemaPaths lists the property paths a JSON Schema declares, in the
// parser's pattern notation ($.a.b, map entries as *, array items as []).
func schemaPaths(t *testing.T, doc map[string]any) map[string]bool {
	out := map[string]bool{}
	defs, _ := doc["$defs"].(map[string]any)
	var walk func(s map[string]any, path string)
	walk = func(s map[string]any, path string) {
		if ref, ok := s["$ref"].(string); ok {
			def, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if !ok {
				t.Fatalf("%s: unresolved $ref %s", path, ref)
			}
			walk(def, path)
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k, v := range props {
				out[path+"."+k] = true
				walk(v.(map[string]any), path+"."+k)
			}
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			walk(ap, path+".*")
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(items, path+"[]")
		}
	}
	walk(doc, "$")
	return out
}

// The schemas that editors use and the parser agree on every field.
func TestSchemaMatchesParser(t *testing.T) {
	for _, kind := range []string{"config", "prompt_rules", "businesses"} {
		t.Run(kind, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(schemaDir, kind+".schema.json"))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			inSchema := schemaPaths(t, doc)
			inParser := vocabulary(kind)
			var missing, extra []string
			for p := range inParser {
				if !inSchema[p] {
					missing = append(missing, p)
				}
			}
			for p := range inSchema {
				if !inParser[p] {
					extra = append(extra, p)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			if len(missing) > 0 {
				t.Errorf("fields the parser reads but %s.schema.json does not declare:\n  %s", kind, strings.Join(missing, "\n  "))
			}
			if len(extra) > 0 {
				t.Errorf("fields %s.schema.json declares but the parser never reads:\n  %s", kind, strings.Join(extra, "\n  "))
			}
		})
	}
}

// Every config we ship, and our fixture in the original service's shape,
// validates against the schemas, so the schema never rejects what the loader
// accepts.
func TestConfigsValidateAgainstSchema(t *testing.T) {
	schemas := compileSchemas(t)
	n := validateTree(t, schemas, "../../configs") + validateTree(t, schemas, filepath.Join("testdata", "original-shape"))
	if n < 13 {
		t.Errorf("validated only %d files; the configs trees were not found", n)
	}

	// And the schema does reject what the loader rejects.
	bad := map[string]any{"businessId": "x", "businessName": "X", "phone": "555-0100", "features": map[string]any{"ragEnabled": "yes"}}
	if err := schemas["config"].Validate(bad); err == nil {
		t.Error("schema accepted a non-E.164 phone and a string feature flag")
	}
	// A misspelt feature is rejected by the schema as by the loader; a note is not.
	typo := map[string]any{"businessId": "x", "businessName": "X", "phone": "+15035550100", "features": map[string]any{"emergencyCallHandeling": true}}
	if err := schemas["config"].Validate(typo); err == nil {
		t.Error("schema accepted features.emergencyCallHandeling misspelt")
	}
	noted := map[string]any{"businessId": "x", "businessName": "X", "phone": "+15035550100", "features": map[string]any{"note": "more later", "_todo": "x"}, "database": map[string]any{}}
	if err := schemas["config"].Validate(noted); err != nil {
		t.Errorf("schema refused notes and an extra top-level block: %v", err)
	}
}

// The original service's own files validate too, when they are present.
func TestReferenceConfigsValidateAgainstSchema(t *testing.T) {
	schemas := compileSchemas(t)
	for _, dir := range []string{"original-configs", "original-configs-v2"} {
		if n := validateTree(t, schemas, reference.Dir(t, dir)); n < 5 {
			t.Errorf("%s: validated only %d files", dir, n)
		}
	}
}

func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	schemas := map[string]*jsonschema.Schema{}
	for _, kind := range []string{"config", "prompt_rules", "businesses"} {
		s, err := c.Compile(filepath.Join(schemaDir, kind+".schema.json"))
		if err != nil {
			t.Fatalf("compile %s schema: %v", kind, err)
		}
		schemas[kind] = s
	}
	return schemas
}

// validateTree checks every config file under root against its schema and
// returns how many it checked.
func validateTree(t *testing.T, schemas map[string]*jsonschema.Schema, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "schema") {
			return err
		}
		s, ok := schemas[strings.TrimSuffix(d.Name(), ".json")]
		if !ok {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		inst, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return err
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
