// Package speechtest checks the functions that read what a caller said
// (in pkg/speech, pkg/contact and pkg/intake) against tables of inputs and
// the results wanted.
package speechtest

import "testing"

// Table reports, as name(in) = got; want want, each case {in, want} for
// which f returns something else than want.
func Table(t testing.TB, name string, f func(string) string, cases [][2]string) {
	t.Helper()
	for _, c := range cases {
		if got := f(c[0]); got != c[1] {
			t.Errorf("%s(%q) = %q; want %q", name, c[0], got, c[1])
		}
	}
}
