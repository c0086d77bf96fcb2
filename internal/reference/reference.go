// Package reference locates the original service's files (configs and
// knowledge documents) for the optional tests that prove we load them
// unchanged. They live in a shared/reference folder beside the checkout,
// which our own machines and CI have and a plain clone does not. Every
// property those tests prove is also proven by fixtures of our own under
// testdata/, so a clone without the folder loses no coverage; it only skips
// the extra check over the originals.
package reference

import (
	"os"
	"path/filepath"
	"testing"
)

// RequiredEnv makes the reference tests mandatory: .ci/run sets it, so CI
// fails instead of skipping when the folder is missing.
const RequiredEnv = "AHCA_REFERENCE_TESTS"

// Dir returns the path of shared/reference/<name> beside the module's root.
// When it does not exist the test is skipped with one line saying why, or
// fails when RequiredEnv is "required".
func Dir(t testing.TB, name string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "reference", name)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv(RequiredEnv) == "required" {
			t.Fatalf("reference files %s are required (%s=required) but missing: %v", dir, RequiredEnv, err)
		}
		t.Skipf("optional: no original-service reference files at %s (our testdata fixtures cover the same shapes)", dir)
	}
	return dir
}

// moduleRoot walks up from the working directory (a test's package
// directory) to the folder holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
