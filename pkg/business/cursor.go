package business

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// file collects what reading one file produced: problems, warnings, ignored
// fields and fields kept verbatim.
type file struct {
	name     string
	src      []byte
	problems *Problems
	warnings *Problems
	ignored  []Ignored
	unused   map[string]json.RawMessage
	vocab    map[string]bool // when non-nil: every path a reader asked for (schema sync test)
}

func (f *file) problem(n *node, path, format string, args ...any) {
	p := Problem{File: f.name, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = lineCol(f.src, n.off)
	}
	*f.problems = append(*f.problems, p)
}

func (f *file) warn(n *node, path, format string, args ...any) {
	p := Problem{File: f.name, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = lineCol(f.src, n.off)
	}
	*f.warnings = append(*f.warnings, p)
}

// cursor reads one JSON object. It remembers which keys were read, so that
// done() can report the rest as ignored instead of dropping them silently.
// A cursor over an absent object (n == nil) reads as empty.
type cursor struct {
	f       *file
	path    string // $.a.b
	pattern string // $.a.*.b: path with map keys and indices wildcarded
	n       *node
	used    map[string]bool
	// open marks an object whose unknown keys are kept rather than refused:
	// a file's top level (the original service's files carry database,
	// twilio, version, ...) and companyInfo (extra keys are facts).
	open bool
}

func (f *file) root(n *node) *cursor {
	c := &cursor{f: f, path: "$", pattern: "$", used: map[string]bool{}, open: true}
	if n != nil && n.kind != kindObject {
		f.problem(n, "$", "got %s, want a JSON object", n.describe())
		return c
	}
	c.n = n
	return c
}

func (c *cursor) child(key string) string { return c.path + "." + key }

// get returns the first of keys (aliases) that is present and not null. When
// two aliases are both present with different values, that is an error: we
// cannot know which the operator meant.
func (c *cursor) get(keys ...string) (*node, string) {
	var found *node
	var foundKey string
	for _, k := range keys {
		if c.f.vocab != nil {
			c.f.vocab[c.pattern+"."+k] = true
		}
		c.used[k] = true
		v := c.lookup(k)
		if v == nil || v.kind == kindNull {
			continue
		}
		if found == nil {
			found, foundKey = v, k
			continue
		}
		if string(found.raw()) != string(v.raw()) {
			c.f.problem(v, c.child(k), "conflicts with %s (the same setting under another name): give one of them", c.child(foundKey))
		}
	}
	if found == nil && len(keys) > 0 {
		foundKey = keys[0]
	}
	return found, c.child(foundKey)
}

func (c *cursor) lookup(key string) *node {
	if c.n == nil {
		return nil
	}
	for i := len(c.n.members) - 1; i >= 0; i-- { // last wins, as in encoding/json
		if c.n.members[i].key == key {
			return c.n.members[i].val
		}
	}
	return nil
}

func (c *cursor) has(keys ...string) bool {
	for _, k := range keys {
		if v := c.lookup(k); v != nil && v.kind != kindNull {
			return true
		}
	}
	return false
}

func (c *cursor) typed(want nodeKind, wantText string, keys ...string) (*node, string) {
	v, path := c.get(keys...)
	if v == nil {
		return nil, path
	}
	if v.kind != want {
		c.f.problem(v, path, "got %s, want %s", v.describe(), wantText)
		return nil, path
	}
	return v, path
}

func (c *cursor) str(keys ...string) string {
	v, _ := c.typed(kindString, "a string", keys...)
	if v == nil {
		return ""
	}
	return strings.TrimSpace(v.str)
}

// strAt is str that also returns the node and path, for callers that
// validate the value further.
func (c *cursor) strAt(keys ...string) (string, *node, string) {
	v, path := c.typed(kindString, "a string", keys...)
	if v == nil {
		return "", nil, path
	}
	return strings.TrimSpace(v.str), v, path
}

// enum reads the string at key, which must be one of allowed: it returns
// the value and whether the file gave an allowed one. Another value is a
// problem naming what was asked for ("calendar provider").
func (c *cursor) enum(key, what string, allowed ...string) (string, bool) {
	v, n, path := c.strAt(key)
	if n == nil {
		return "", false
	}
	if slices.Contains(allowed, v) {
		return v, true
	}
	want := "one of " + strings.Join(allowed, ", ")
	if len(allowed) == 2 {
		want = allowed[0] + " or " + allowed[1]
	}
	c.f.problem(n, path, "unknown %s %q: want %s", what, v, want)
	return "", false
}

// boolean returns the value and whether the file set it.
func (c *cursor) boolean(keys ...string) (val, set bool) {
	v, _ := c.typed(kindBool, "true or false", keys...)
	if v == nil {
		return false, false
	}
	return v.boolean, true
}

func (c *cursor) number(keys ...string) (float64, *node, string, bool) {
	v, path := c.typed(kindNumber, "a number", keys...)
	if v == nil {
		return 0, nil, path, false
	}
	f, err := strconv.ParseFloat(v.num.String(), 64)
	if err != nil {
		c.f.problem(v, path, "got %s, want a number", v.describe())
		return 0, nil, path, false
	}
	return f, v, path, true
}

func (c *cursor) integer(keys ...string) (int, *node, string, bool) {
	f, v, path, ok := c.number(keys...)
	if !ok {
		return 0, nil, path, false
	}
	if f != float64(int(f)) {
		c.f.problem(v, path, "got %s, want a whole number", v.describe())
		return 0, nil, path, false
	}
	return int(f), v, path, true
}

// strs reads an array of strings; the nodes are returned for validation.
func (c *cursor) strs(keys ...string) ([]string, []*node, string) {
	v, path := c.typed(kindArray, "an array of strings", keys...)
	if v == nil {
		return nil, nil, path
	}
	var out []string
	var nodes []*node
	for i, it := range v.items {
		if it.kind != kindString {
			c.f.problem(it, fmt.Sprintf("%s[%d]", path, i), "got %s, want a string", it.describe())
			continue
		}
		out = append(out, strings.TrimSpace(it.str))
		nodes = append(nodes, it)
	}
	return out, nodes, path
}

// obj returns a cursor over the object under key (empty when absent).
func (c *cursor) obj(keys ...string) *cursor {
	v, path := c.typed(kindObject, "an object", keys...)
	key := lastKey(path)
	if v == nil && len(keys) > 0 {
		key = keys[0]
		path = c.child(key)
	}
	return &cursor{f: c.f, path: path, pattern: c.pattern + "." + key, n: v, used: map[string]bool{}}
}

// each calls fn for every member of the object under key, in file order
// (map-like objects such as staff or phoneToBusinessMap).
func (c *cursor) each(key string, fn func(k string, v *node, path string, sub *cursor)) {
	v, path := c.typed(kindObject, "an object", key)
	pattern := c.pattern + "." + key + ".*"
	if v == nil {
		if c.f.vocab != nil { // let the reader declare the entry's fields
			fn("*", nil, path+".*", &cursor{f: c.f, path: path + ".*", pattern: pattern, used: map[string]bool{}})
		}
		return
	}
	for _, m := range v.members {
		p := path + "." + m.key
		sub := &cursor{f: c.f, path: p, pattern: pattern, used: map[string]bool{}}
		if m.val.kind == kindObject {
			sub.n = m.val
		}
		fn(m.key, m.val, p, sub)
	}
}

// items calls fn for every element of the array under key; objects get a cursor.
func (c *cursor) items(key string, fn func(i int, v *node, path string, sub *cursor)) {
	v, path := c.typed(kindArray, "an array", key)
	pattern := c.pattern + "." + key + "[]"
	if v == nil {
		if c.f.vocab != nil {
			fn(0, nil, path+"[0]", &cursor{f: c.f, path: path + "[0]", pattern: pattern, used: map[string]bool{}})
		}
		return
	}
	for i, it := range v.items {
		p := fmt.Sprintf("%s[%d]", path, i)
		sub := &cursor{f: c.f, path: p, pattern: pattern, used: map[string]bool{}}
		if it.kind == kindObject {
			sub.n = it
		}
		fn(i, it, p, sub)
	}
}

// rest marks keys as read and returns them verbatim: fields we carry for the
// agent (company facts) rather than interpret. A key that is a misspelling
// of one the parser knows here is refused instead.
func (c *cursor) rest() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	if c.n == nil {
		return out
	}
	c.open = true
	for _, m := range c.n.members {
		if !c.used[m.key] && !c.refuse(m) {
			c.used[m.key] = true
			out[m.key] = m.val.raw()
		}
	}
	return out
}

// done reports every key not read: in a known object it is an error with
// the nearest known key; at a file's top level it is ignored (kept and
// listed) unless it looks like a misspelt known key.
func (c *cursor) done() {
	if c.n == nil {
		return
	}
	for _, m := range c.n.members {
		if c.used[m.key] || c.refuse(m) {
			continue
		}
		p := c.child(m.key)
		c.f.ignored = append(c.f.ignored, Ignored{File: c.f.name, Path: p})
		if c.f.unused != nil {
			c.f.unused[p] = m.val.raw()
		}
	}
}

// refuse reports an unknown key m as a problem, and whether it did. Notes
// (note, comment, _anything, ...) are never refused: operators annotate
// objects with them, and they are kept like other unused fields.
func (c *cursor) refuse(m member) bool {
	if isAnnotation(m.key) {
		return false
	}
	known := make([]string, 0, len(c.used))
	for k := range c.used {
		if !strings.HasPrefix(k, "$") {
			known = append(known, k)
		}
	}
	what := "field"
	if c.pattern == "$.features" {
		what = "feature"
	}
	near, close := nearest(m.key, known)
	var msg string
	switch {
	case close:
		msg = fmt.Sprintf("unknown %s; did you mean %s?", what, near)
	case c.open:
		return false
	case len(known) == 0:
		msg = fmt.Sprintf("unknown %s: this object takes none", what)
	default:
		sort.Strings(known)
		msg = fmt.Sprintf("unknown %s: want one of %s", what, strings.Join(known, ", "))
	}
	p := Problem{File: c.f.name, Path: c.child(m.key), Msg: msg}
	p.Line, p.Col = lineCol(c.f.src, m.keyOff)
	*c.f.problems = append(*c.f.problems, p)
	return true
}

// isAnnotation reports whether key is a note for people, not a setting.
func isAnnotation(key string) bool {
	switch strings.ToLower(key) {
	case "note", "notes", "comment", "comments", "$comment":
		return true
	}
	return strings.HasPrefix(key, "_") || strings.HasPrefix(key, "//")
}

// nearest returns the known key closest to key and whether it is close
// enough to call key its misspelling: up to a quarter of its letters
// differ (at least one, at most three; case aside).
func nearest(key string, known []string) (string, bool) {
	best, bestD := "", -1
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); bestD < 0 || d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	return best, bestD >= 0 && bestD <= max(1, min(3, len([]rune(best))/4))
}

// editDistance is the Levenshtein distance between a and b, counting an
// adjacent transposition as one edit (the commonest typo).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}
