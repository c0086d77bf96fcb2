package business

import (
	"os"
	"path/filepath"
	"testing"
)

func writeTree(t *testing.T, dir string, tree map[string][]byte) {
	t.Helper()
	for k, v := range tree {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, v, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func removeFile(dir, rel string) error { return os.Remove(filepath.Join(dir, filepath.FromSlash(rel))) }
