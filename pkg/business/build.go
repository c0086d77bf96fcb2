package business

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/tenant"
)

// File names in a configs tree, relative to its root.
const (
	IndexFile   = "businesses.json"
	PromptsFile = "prompt_rules.json"
	ConfigFile  = "config.json"
	businessDir = "businesses"
)

// ErrUnknownBusiness is returned for a business id or number no config
// defines. There is no default business.
var ErrUnknownBusiness = errors.New("unknown business")

// Set is one validated snapshot of the whole configs tree. It is immutable:
// a refresh builds a new Set and swaps it in whole.
type Set struct {
	businesses map[tenant.ID]*Business
	numbers    map[string]tenant.ID
	shared     map[string]SharedNumber
	warnings   Problems
	ignored    []Ignored
}

// Business returns the business with the given id.
func (s *Set) Business(id tenant.ID) (*Business, error) {
	if b, ok := s.businesses[id]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("business %q: %w", id, ErrUnknownBusiness)
}

// ByNumber returns the business a dialled number routes to. The number is
// normalized first, so "+1 (503) 555-0100" finds "+15035550100".
func (s *Set) ByNumber(number string) (*Business, error) {
	n := phone.Normalize(number)
	id, ok := s.numbers[n]
	if !ok {
		if sh, shared := s.shared[n]; shared {
			id, ok = sh.Primary, true
		}
	}
	if !ok {
		return nil, fmt.Errorf("number %q is not routed to any business: %w", number, ErrUnknownBusiness)
	}
	return s.Business(id)
}

// IDs returns every business id, sorted.
func (s *Set) IDs() []tenant.ID {
	ids := make([]tenant.ID, 0, len(s.businesses))
	for id := range s.businesses {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Numbers returns the routing table: E.164 number to business id, shared
// numbers resolved to their primary business.
func (s *Set) Numbers() map[string]tenant.ID {
	out := make(map[string]tenant.ID, len(s.numbers)+len(s.shared))
	for n, sh := range s.shared {
		out[n] = sh.Primary
	}
	for n, id := range s.numbers {
		out[n] = id
	}
	return out
}

// Warnings are doubtful but loadable settings (e.g. no email recipients).
func (s *Set) Warnings() Problems { return s.warnings }

// Ignored lists the fields present in the files that no code of ours reads.
func (s *Set) Ignored() []Ignored { return s.ignored }

// Build parses and validates a whole configs tree given as file contents
// keyed by slash-separated path relative to the tree's root. origin (a
// directory or s3:// URL) prefixes file names in problems. Files outside the
// config layout (knowledge, schema, READMEs) are not read here. On any
// problem it returns all of them, as Problems, and no Set.
func Build(origin string, files map[string][]byte) (*Set, error) {
	var problems, warnings Problems
	s := &Set{businesses: map[tenant.ID]*Business{}, numbers: map[string]tenant.ID{}, shared: map[string]SharedNumber{}}
	name := func(rel string) string {
		if origin == "" {
			return rel
		}
		return strings.TrimSuffix(origin, "/") + "/" + rel
	}
	open := func(rel string) (*file, *node) {
		src, ok := files[rel]
		if !ok {
			return nil, nil
		}
		f := &file{name: name(rel), src: src, problems: &problems, warnings: &warnings}
		root, err := parseTree(src, func(key string, off int64) {
			line, col := lineCol(src, off)
			// A warning, not an error: the original service's files have
			// one, and they must load unchanged. Duplicate numbers in
			// businesses.json that disagree are errors (parseIndex).
			warnings = append(warnings, Problem{File: f.name, Line: line, Col: col, Msg: fmt.Sprintf("duplicate key %q: only the last value is used", key)})
		})
		if err != nil {
			var se *syntaxError
			errors.As(err, &se)
			line, col := lineCol(src, se.off)
			problems = append(problems, Problem{File: f.name, Line: line, Col: col, Msg: "invalid JSON: " + se.msg})
			return f, nil
		}
		checkSecrets(f, root, "$")
		return f, root
	}

	// The shared fallback prompt, used by businesses without their own.
	var fallback *Prompts
	if f, root := open(PromptsFile); root != nil {
		p := parsePrompts(f, root)
		fallback = &p
		s.ignored = append(s.ignored, f.ignored...)
	}

	for _, id := range businessDirs(files) {
		dir := businessDir + "/" + id
		if _, err := tenant.ParseID(id); err != nil {
			problems = append(problems, Problem{File: name(dir), Msg: fmt.Sprintf("directory name: %v", err)})
			continue
		}
		f, root := open(dir + "/" + ConfigFile)
		if f == nil {
			problems = append(problems, Problem{File: name(dir + "/" + ConfigFile), Msg: "missing: every business directory needs a config.json"})
			continue
		}
		if root == nil {
			continue
		}
		f.unused = map[string]json.RawMessage{}
		b := parseConfig(f, root, id)
		s.ignored = append(s.ignored, f.ignored...)
		b.Unused = prefixKeys(ConfigFile, f.unused)

		switch pf, proot := open(dir + "/" + PromptsFile); {
		case pf != nil && proot != nil:
			pf.unused = map[string]json.RawMessage{}
			b.Prompts = parsePrompts(pf, proot)
			s.ignored = append(s.ignored, pf.ignored...)
		case pf != nil: // invalid JSON, already reported
		case fallback != nil:
			b.Prompts = *fallback
		default:
			problems = append(problems, Problem{File: name(dir + "/" + PromptsFile), Msg: "missing prompt: want this file, or a top-level prompt_rules.json fallback"})
		}
		if b.Prompts.Source != "" && b.Prompts.System == "" {
			problems = append(problems, Problem{File: b.Prompts.Source, Path: "$.realtimeSystem.full", Msg: "missing prompt: want the agent's system prompt"})
		}
		s.businesses[b.ID] = b
	}

	if f, root := open(IndexFile); f == nil {
		problems = append(problems, Problem{File: name(IndexFile), Msg: "missing: want {\"phoneToBusinessMap\": {\"+1...\": \"business-id\"}}"})
	} else if root != nil {
		s.parseIndex(f, root)
		s.ignored = append(s.ignored, f.ignored...)
	}
	s.checkNumbers(name, &problems, &warnings)

	if len(problems) > 0 {
		return nil, problems.sorted()
	}
	s.warnings = warnings.sorted()
	return s, nil
}

// businessDirs returns the directories under businesses/ that hold a config
// or prompt file.
func businessDirs(files map[string][]byte) []string {
	seen := map[string]bool{}
	for rel := range files {
		parts := strings.Split(rel, "/")
		if len(parts) == 3 && parts[0] == businessDir && (parts[2] == ConfigFile || parts[2] == PromptsFile) {
			seen[parts[1]] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func prefixKeys(prefix string, m map[string]json.RawMessage) map[string]json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[prefix+":"+k] = v
	}
	return out
}

// parseIndex reads businesses.json: the number routing table.
func (s *Set) parseIndex(f *file, root *node) {
	c := f.root(root)
	claimed := map[string]*node{}
	c.each("phoneToBusinessMap", func(key string, v *node, p string, _ *cursor) {
		if v == nil {
			return
		}
		keyNode := v
		num, err := phone.ParseE164(key)
		if err != nil {
			f.problem(keyNode, p, "key: %v", err)
			return
		}
		if v.kind != kindString {
			f.problem(v, p, "got %s, want a business id", v.describe())
			return
		}
		id := tenant.ID(v.str)
		if _, ok := s.businesses[id]; !ok {
			f.problem(v, p, "number mapped to business %q, which does not exist: want a directory businesses/%s/ with a config.json", v.str, v.str)
			return
		}
		if prev, ok := s.numbers[num]; ok && prev != id {
			f.problem(v, p, "two businesses claim number %s: %q and %q; a number routes to exactly one business", num, prev, id)
			return
		}
		if _, dup := claimed[num]; dup && s.numbers[num] == id {
			f.warn(v, p, "number %s is listed twice for %q", num, id)
		}
		claimed[num] = v
		s.numbers[num] = id
	})
	c.each("sharedNumbers", func(key string, v *node, p string, sc *cursor) {
		primary, pn, pp := sc.strAt("primary")
		secondary, sn, sp := sc.strAt("secondary")
		note := sc.str("note")
		sc.str("instructions")
		sc.done()
		if v == nil {
			return
		}
		num, err := phone.ParseE164(key)
		if err != nil {
			f.problem(v, p, "key: %v", err)
			return
		}
		if pn == nil {
			f.problem(v, p+".primary", "missing: want the business that answers calls to this number")
			return
		}
		ok := true
		for _, ref := range []struct {
			id   string
			n    *node
			path string
		}{{primary, pn, pp}, {secondary, sn, sp}} {
			if ref.n == nil {
				continue
			}
			if _, exists := s.businesses[tenant.ID(ref.id)]; !exists {
				f.problem(ref.n, ref.path, "business %q does not exist", ref.id)
				ok = false
			}
		}
		if prev, mapped := s.numbers[num]; mapped && prev != tenant.ID(primary) {
			f.problem(pn, pp, "two businesses claim number %s: phoneToBusinessMap says %q, sharedNumbers says %q", num, prev, primary)
			ok = false
		}
		if ok {
			s.shared[num] = SharedNumber{Primary: tenant.ID(primary), Secondary: tenant.ID(secondary), Note: note}
		}
	})
	// Descriptive metadata: read so it is not reported as ignored.
	c.str("$schema")
	c.str("description")
	c.str("lastUpdated")
	c.get("version")
	c.done()
}

// checkNumbers ties the businesses' own numbers to the routing table.
func (s *Set) checkNumbers(name func(string) string, problems, warnings *Problems) {
	owner := map[string]tenant.ID{}
	for _, id := range s.IDs() {
		b := s.businesses[id]
		cfg := name(path.Join(businessDir, string(id), ConfigFile))
		for n, to := range s.numbers {
			if to == id {
				b.Numbers = append(b.Numbers, n)
			}
		}
		sort.Strings(b.Numbers)
		if !phone.IsE164(b.Phone) {
			continue // already reported
		}
		if prev, ok := owner[b.Phone]; ok {
			*problems = append(*problems, Problem{File: cfg, Path: "$.phone", Msg: fmt.Sprintf("two businesses claim number %s: %q and %q", b.Phone, prev, id)})
		}
		owner[b.Phone] = id
		routed, ok := s.numbers[b.Phone]
		if sh, shared := s.shared[b.Phone]; !ok && shared {
			routed, ok = sh.Primary, true
		}
		switch {
		case ok && routed != id:
			*problems = append(*problems, Problem{File: cfg, Path: "$.phone", Msg: fmt.Sprintf("number %s is routed to business %q by %s: a number belongs to one business", b.Phone, routed, IndexFile)})
		case !ok:
			*warnings = append(*warnings, Problem{File: cfg, Path: "$.phone", Msg: fmt.Sprintf("number %s is not in %s: calls to it will not reach this business", b.Phone, IndexFile)})
		}
	}
}
