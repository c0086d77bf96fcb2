package main

import (
	"bytes"
	"context"
	"flag"
	"slices"
	"strings"
	"testing"
)

// Every way of asking for help prints that command's own usage to stdout,
// with each of its flags, and exits 0.
func TestHelpForms(t *testing.T) {
	type form struct {
		args  []string
		usage string   // the first line
		flags []string // named in the output
	}
	overview := "usage: ahca <command> [arguments]"
	forms := []form{
		{[]string{"--help"}, overview, nil},
		{[]string{"-h"}, overview, nil},
		{[]string{"-help"}, overview, nil},
		{[]string{"help"}, overview, nil},
		{[]string{"configs", "--help"}, "usage: ahca configs <command> [arguments]", nil},
		{[]string{"help", "configs"}, "usage: ahca configs <command> [arguments]", nil},
		{[]string{"transcripts", "-h"}, "usage: ahca transcripts <command> [arguments]", nil},
		// --help after a positional argument or another flag.
		{[]string{"transcripts", "show", "s-1", "--help"}, "usage: ahca transcripts show SESSION --business ID [flags]", nil},
		{[]string{"chat", "--business", "acme", "--help"}, "usage: ahca chat --business ID [flags]", nil},
	}
	for _, c := range commands {
		var names []string
		c.flags().VisitAll(func(f *flag.Flag) { names = append(names, flagSpec(f)) })
		usage := "usage: ahca " + c.line(c.flags())
		w := c.words()
		forms = append(forms,
			form{append(slices.Clone(w), "--help"), usage, names},
			form{append(slices.Clone(w), "-h"), usage, names},
			form{append([]string{"help"}, w...), usage, names},
		)
	}
	for _, f := range forms {
		t.Run(strings.Join(f.args, " "), func(t *testing.T) {
			code, out, errOut := runAhca(t, f.args...)
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			if first, _, _ := strings.Cut(out, "\n"); first != f.usage {
				t.Errorf("first line %q, want %q", first, f.usage)
			}
			for _, name := range f.flags {
				if !strings.Contains(out, "\n  "+name+" ") {
					t.Errorf("help lacks the flag %q:\n%s", name, out)
				}
			}
		})
	}
}

// The overview's line for each command is the command's own usage line,
// with its summary, and the overview lists every command.
func TestOverviewAgreesWithCommandHelp(t *testing.T) {
	_, overview, _ := runAhca(t, "help")
	for _, c := range commands {
		_, help, _ := runAhca(t, append([]string{"help"}, c.words()...)...)
		first, _, _ := strings.Cut(help, "\n")
		line := strings.TrimPrefix(first, "usage: ahca ")
		if !strings.HasPrefix(line, c.name) {
			t.Fatalf("%s: usage line %q", c.name, first)
		}
		found := false
		for _, l := range strings.Split(overview, "\n") {
			rest, ok := strings.CutPrefix(l, "  "+line+"  ")
			found = found || (ok && strings.TrimSpace(rest) == c.summary)
		}
		if !found {
			t.Errorf("the overview has no line %q with the summary %q:\n%s", line, c.summary, overview)
		}
		if !strings.Contains(help, "\n"+c.summary+"\n") {
			t.Errorf("%s: help lacks the summary", c.name)
		}
	}
}

// Every flag a usage line names is one of the command's, and every flag
// has a usage text.
func TestUsageLinesNameRealFlags(t *testing.T) {
	for _, c := range commands {
		fs := c.flags()
		for _, word := range strings.Fields(c.line(fs)) {
			if name, ok := strings.CutPrefix(word, "--"); ok && fs.Lookup(name) == nil {
				t.Errorf("%s: usage line names --%s, which it does not define", c.name, name)
			}
		}
		for _, r := range c.required {
			if fs.Lookup(r) == nil {
				t.Errorf("%s: required --%s is not a flag", c.name, r)
			}
		}
		fs.VisitAll(func(f *flag.Flag) {
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s: --%s has no usage text", c.name, f.Name)
			}
		})
	}
}

// Wrong command lines exit 2 and say what is wrong, then the usage.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{"usage: ahca <command>"}},
		{[]string{"frobnicate"}, []string{`ahca: unknown command "frobnicate"`, "usage: ahca <command>"}},
		{[]string{"configs"}, []string{"usage: ahca configs <command>"}},
		{[]string{"configs", "frobnicate"}, []string{`ahca: unknown command "configs frobnicate"`, "usage: ahca configs <command>"}},
		{[]string{"help", "frobnicate"}, []string{`ahca help: unknown command "frobnicate"`}},
		{[]string{"help", "configs", "validate", "extra"}, []string{`unknown command "configs validate extra"`}},
		{[]string{"configs", "push"}, []string{"ahca configs push: --bucket is required", "usage: ahca configs push --bucket BUCKET [flags]"}},
		{[]string{"configs", "show"}, []string{"ahca configs show: missing BUSINESS", "usage: ahca configs show BUSINESS"}},
		{[]string{"configs", "show", "a", "b"}, []string{`ahca configs show: unexpected argument "b"`}},
		{[]string{"configs", "validate", "--frobnicate"}, []string{"ahca configs validate: flag provided but not defined", "usage: ahca configs validate"}},
		{[]string{"chat"}, []string{"ahca chat: --business is required", "usage: ahca chat"}},
		{[]string{"chat", "--business", "acme", "--url", "http://x"}, []string{`--url "http://x": want ws:// or wss://`}},
		{[]string{"call"}, []string{"ahca call: --to is required"}},
		{[]string{"knowledge", "search", "--business", "acme"}, []string{"ahca knowledge search: missing QUERY"}},
		{[]string{"transcripts", "show", "--business", "acme"}, []string{"ahca transcripts show: missing SESSION"}},
		{[]string{"transcripts", "list", "--business", "Not#Valid"}, []string{"ahca transcripts list: --business"}},
		{[]string{"dev", "extra"}, []string{`ahca dev: unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runAhca(t, tt.args...)
			if code != exitUsage || out != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// Help shows defaults, but never a secret from the environment.
func TestHelpShowsNoSecret(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "s3cret-twilio-token")
	if _, out, _ := runAhca(t, "call", "--help"); strings.Contains(out, "s3cret") {
		t.Errorf("call --help shows the auth token:\n%s", out)
	}
}

// runAhca runs the command line with no input.
func runAhca(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}
