package business

import (
	"context"
	"testing"
)

func loadOurTree(b *testing.B) map[string][]byte {
	b.Helper()
	files, _, err := fetchAll(context.Background(), DirSource{Dir: "../../configs"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return contents(files)
}

// BenchmarkBuild is the cost of a full parse and validation of configs/:
// paid at a Lambda's first request and whenever a refresh finds a change.
func BenchmarkBuild(b *testing.B) {
	tree := loadOurTree(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build("configs", tree); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegistryByNumber is the per-call cost on the hot path: a warm
// registry inside its refresh interval, resolving a dialled number.
func BenchmarkRegistryByNumber(b *testing.B) {
	reg := NewRegistry(memSource(loadOurTree(b)), RegistryOptions{})
	ctx := context.Background()
	if _, err := reg.ByNumber(ctx, "+15035550142"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.ByNumber(ctx, "+1 (503) 555-0142"); err != nil {
			b.Fatal(err)
		}
	}
}
