// Package businesstest gives tests the project's own configs (configs/),
// loaded and validated once per test binary.
package businesstest

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/tenant"
)

// Tuesday is 14:00 on a Tuesday in Oregon (Maple Street Vet is open);
// Sunday is 14:00 on a Sunday there (it is closed).
var (
	Tuesday = time.Date(2025, 3, 4, 22, 0, 0, 0, time.UTC)
	Sunday  = time.Date(2025, 3, 9, 21, 0, 0, 0, time.UTC)
)

var (
	once   sync.Once
	set    *business.Set
	setErr error
)

// Dir is the repository's configs directory, wherever the test runs from.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "configs")
}

// Set returns configs/ as loaded by business.Load.
func Set(tb testing.TB) *business.Set {
	tb.Helper()
	once.Do(func() { set, setErr = business.Load(context.Background(), business.DirSource{Dir: Dir()}) })
	if setErr != nil {
		tb.Fatalf("load configs: %v", setErr)
	}
	return set
}

// Get returns one business of configs/. It is shared by the tests of a
// binary: copy it before changing it.
func Get(tb testing.TB, id tenant.ID) *business.Business {
	tb.Helper()
	b, err := Set(tb).Business(id)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// One builds a business from the text of its config.json alone, through the
// config parser (so its location is loaded as in production), answering
// +15035550100.
func One(tb testing.TB, id tenant.ID, configJSON string) *business.Business {
	tb.Helper()
	set, err := business.Build("", map[string][]byte{
		"businesses/" + string(id) + "/config.json": []byte(configJSON),
		"businesses.json":   []byte(`{"phoneToBusinessMap": {"+15035550100": "` + string(id) + `"}}`),
		"prompt_rules.json": []byte(`{"realtimeSystem": {"full": "You are a receptionist."}}`),
	})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := set.Business(id)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
