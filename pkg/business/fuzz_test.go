package business

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzBuild feeds arbitrary bytes as each kind of config file. Bad input
// must come back as Problems, never as a panic or another kind of error.
// The seed corpus is our configs and our fixture in the original service's shape.
func FuzzBuild(f *testing.F) {
	for _, root := range []string{"../../configs", filepath.Join("testdata", "original-shape")} {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) == ".json" {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b, uint8(0))
					f.Add(b, uint8(1))
				}
			}
			return nil
		})
	}
	for _, s := range []string{`{`, `[]`, `null`, `{"a":1}{"b":2}`, `{"businessId":"acme","businessName":"A","phone":"+15035550100"}`, "\xff\xfe", `{"phoneToBusinessMap":{"+15035550100":["acme"]}}`} {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		tree := validTree()
		switch which % 4 {
		case 0:
			tree[acme] = data
		case 1:
			tree["businesses/acme/prompt_rules.json"] = data
		case 2:
			tree["businesses.json"] = data
		case 3:
			tree["prompt_rules.json"] = data
		}
		s, err := Build("fuzz", tree)
		var ps Problems
		switch {
		case err == nil && s == nil:
			t.Fatal("no Set and no error")
		case err != nil && !errors.As(err, &ps):
			t.Fatalf("error is %T, want Problems: %v", err, err)
		case err != nil && len(ps) == 0:
			t.Fatal("empty Problems")
		}
	})
}
