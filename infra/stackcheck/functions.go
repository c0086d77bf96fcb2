package stackcheck

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"
)

// functionSuffix ends the logical id of every function.
const functionSuffix = "Function"

// FunctionDir returns the directory under functions/ that holds the source
// of the function with the given logical id: the id without its "Function"
// suffix, CamelCase converted to kebab-case. A run of capitals is one word
// (an acronym) and digits belong to the word before them:
//
//	WsConnectFunction      -> ws-connect
//	TwilioVoiceFunction    -> twilio-voice
//	SMSSenderFunction      -> sms-sender
//	Oauth2CallbackFunction -> oauth2-callback
//
// ok is false when the id does not end in "Function", has nothing before
// it, or contains anything but ASCII letters and digits or does not start
// with a letter.
func FunctionDir(logicalID string) (dir string, ok bool) {
	name, found := strings.CutSuffix(logicalID, functionSuffix)
	if !found || name == "" {
		return "", false
	}
	rs := []rune(name)
	if !isASCIILetter(rs[0]) {
		return "", false
	}
	var b strings.Builder
	for i, r := range rs {
		if r > unicode.MaxASCII || !isASCIILetter(r) && !unicode.IsDigit(r) {
			return "", false
		}
		if i > 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// New word: after a lower-case letter or digit ("wsConnect",
			// "oauth2Callback"), or at the last capital of an acronym that
			// starts a new word ("SMSSender" -> "sms", "sender").
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && nextLower {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String(), true
}

func isASCIILetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// checkFunctions applies the function build conventions.
func checkFunctions(t *Template, opts Options, ps *problems) {
	fns := t.ofType(functionTypes...)
	if len(fns) == 0 {
		return
	}
	mk := loadMakefile(opts.Root)
	for _, r := range fns {
		id := r.LogicalID

		dir, nameOK := FunctionDir(id)
		if !nameOK {
			ps.add(id, RuleFunctionName,
				"logical id must be <Name>Function with <Name> in CamelCase (ASCII letters and digits), e.g. WsConnectFunction for functions/ws-connect")
		}

		if bm := getString(r.Metadata, "BuildMethod"); bm != "makefile" {
			ps.add(id, RuleBuildMethod,
				"Metadata.BuildMethod is %q; want \"makefile\" so `sam build` runs `make build-%s`", bm, id)
		}

		checkCodeURI(t, r, ps)

		if nameOK {
			main := filepath.Join(opts.Root, "functions", dir, "main.go")
			if fi, err := os.Stat(main); err != nil || !fi.Mode().IsRegular() {
				ps.add(id, RuleFunctionSource,
					"%s does not exist; the source of %s must be in functions/%s (derived from the logical id)",
					path.Join("functions", dir, "main.go"), id, dir)
			}
		}

		target := "build-" + id
		switch {
		case mk.err != nil:
			ps.add(id, RuleMakefileTarget, "cannot read the Makefile for target %s: %v", target, mk.err)
		case !mk.has(target):
			ps.add(id, RuleMakefileTarget,
				"the Makefile has no %s target; `sam build` runs `make %s` and expects the bootstrap binary in $(ARTIFACTS_DIR)",
				target, target)
		}
	}
}

// checkCodeURI requires the code location to be the repository root.
func checkCodeURI(t *Template, r Resource, ps *problems) {
	prop := "CodeUri"
	var v any
	if r.Type == typeLambdaFunction {
		prop = "Code"
		v = r.Properties["Code"]
	} else {
		if _, inline := r.Properties["InlineCode"]; inline {
			ps.add(r.LogicalID, RuleCodeURI, "InlineCode is not allowed; use CodeUri: . and the Makefile build")
			return
		}
		v = r.Properties["CodeUri"]
		if v == nil {
			v = t.Globals("Function")["CodeUri"]
		}
	}
	s, ok := v.(string)
	if !ok || filepath.Clean(s) != "." {
		ps.add(r.LogicalID, RuleCodeURI,
			"%s must be \".\" (the repository root, where the Makefile is); got %s", prop, describe(v))
	}
}

// describe renders a value for a message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return `"` + x + `"`
	}
	return "a non-string value"
}

// makefile is the set of targets of the repository Makefile.
type makefile struct {
	targets []string
	err     error
}

func loadMakefile(root string) makefile {
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if errors.Is(err, fs.ErrNotExist) {
		return makefile{err: errors.New("no Makefile in the repository root")}
	}
	if err != nil {
		return makefile{err: err}
	}
	return makefile{targets: makeTargets(data)}
}

// has reports whether target is defined explicitly or by a pattern rule.
func (m makefile) has(target string) bool {
	for _, t := range m.targets {
		if t == target {
			return true
		}
		if pre, suf, ok := strings.Cut(t, "%"); ok && !strings.Contains(suf, "%") &&
			len(target) > len(pre)+len(suf) && strings.HasPrefix(target, pre) && strings.HasSuffix(target, suf) {
			return true
		}
	}
	return false
}

// makeTargets extracts rule targets from a Makefile: the words before the
// first ':' of every rule line. Recipe lines, comments, variable
// assignments, define blocks and targets built from variables are skipped.
func makeTargets(data []byte) []string {
	var targets []string
	var logical []string // lines with continuations joined
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont)
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		logical = append(logical, cur.String())
	}

	inDefine := false
	for _, line := range logical {
		if strings.HasPrefix(line, "\t") {
			continue // recipe
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		trimmed := strings.TrimSpace(line)
		first, _, _ := strings.Cut(trimmed, " ")
		switch {
		case first == "define":
			inDefine = true
			continue
		case first == "endef":
			inDefine = false
			continue
		case inDefine:
			continue
		}
		colon := strings.IndexByte(trimmed, ':')
		if colon < 0 {
			continue
		}
		if strings.ContainsRune(trimmed[:colon], '=') || strings.HasPrefix(trimmed[colon:], ":=") ||
			strings.HasPrefix(trimmed[colon:], "::=") {
			continue // variable assignment
		}
		for _, w := range strings.Fields(trimmed[:colon]) {
			if !strings.Contains(w, "$") {
				targets = append(targets, w)
			}
		}
	}
	return targets
}
