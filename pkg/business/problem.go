package business

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong (or, as a warning, doubtful) in the configs
// tree: which file, where in it, what is wrong and what was expected.
type Problem struct {
	File string `json:"file"`
	Path string `json:"path,omitempty"` // JSON path such as $.features.ragEnabled
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
	Msg  string `json:"message"`
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	if p.Path != "" {
		b.WriteString(": ")
		b.WriteString(p.Path)
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every validation error found in one load; it is an error so a
// load can report all of them at once instead of stopping at the first.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return fmt.Sprintf("%d problem(s) in business configs:\n  %s", len(ps), strings.Join(lines, "\n  "))
}

func (ps Problems) sorted() Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return ps
}

// Ignored is a field present in a file that no code of ours reads. It is kept
// (see Business.Unused) and listed by `ahca configs validate`, so an operator
// learns that a setting has no effect instead of trusting it silently.
type Ignored struct {
	File string `json:"file"`
	Path string `json:"path"`
}

func (i Ignored) String() string { return i.File + ": " + i.Path }
