package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ahca/ahca/configs/templates"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/tenant"
)

// Every template's output validates in a copy of the shipped tree, names its
// placeholders and the next steps, and the tree stays valid with all four
// new businesses in it at once (their fictional numbers do not collide).
func TestConfigsNewEveryTemplateValidates(t *testing.T) {
	dir := copyTree(t, "../../configs")
	t.Setenv("WEB_ORIGIN", "https://chat.example.com, https://other.example.com")
	list := templates.List()
	if len(list) < 4 {
		t.Fatalf("templates = %v, want fencing, plumbing, software-demo and veterinary at least", list)
	}
	for _, tpl := range list {
		t.Run(tpl.Name, func(t *testing.T) {
			id := "new-" + tpl.Name
			code, out, errOut := runCLI(t, "configs", "new", id, "--from", tpl.Name, "--dir", dir, "--name", `Dana's "Best" Co`)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			for _, w := range []string{
				"created " + filepath.Join(dir, "businesses", id, "config.json"),
				"config.json:", "$.description: TODO",
				"map it in " + filepath.Join(dir, "businesses.json"),
				"ahca configs push --dir " + dir,
				`<script src="https://chat.example.com/widget.js" data-business="` + id + `" async></script>`,
			} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			set, err := business.Load(context.Background(), business.DirSource{Dir: dir})
			if err != nil {
				t.Fatalf("the tree with %s does not load: %v", id, err)
			}
			b, err := set.Business(tenant.ID(id))
			if err != nil {
				t.Fatal(err)
			}
			if b.Name != `Dana's "Best" Co` || !strings.Contains(b.Agent.Greeting, `Dana's "Best" Co`) {
				t.Errorf("name %q, greeting %q: --name not filled in", b.Name, b.Agent.Greeting)
			}
			if g := b.WebGreeting(); strings.Contains(strings.ToLower(g), "press") {
				t.Errorf("web greeting %q tells a visitor to press a key", g)
			}
			for _, ref := range b.Uses() {
				if ref.Value.IsRef() && !strings.Contains(out, string(ref.Value)) {
					t.Errorf("next steps do not name the reference %s", ref.Value)
				}
			}
		})
	}
	code, out, errOut := runCLI(t, "configs", "validate", "--dir", dir)
	if code != exitOK || !strings.Contains(out, "placeholder still to fill in") || !strings.Contains(out, "ok: 7 business(es)") {
		t.Errorf("validate: exit %d\n%s%s", code, out, errOut)
	}
}

func TestConfigsNewRefuses(t *testing.T) {
	dir := copyTree(t, "../../configs")
	cfg := filepath.Join(dir, "businesses", "superior-fencing", "config.json")
	before, _ := os.ReadFile(cfg)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"an existing business", []string{"superior-fencing", "--from", "fencing"}, exitInvalid, "business superior-fencing already exists"},
		{"an unknown template", []string{"acme", "--from", "bakery"}, exitUsage, `no template "bakery": want one of fencing, plumbing, software-demo, veterinary`},
		{"a bad id", []string{"Acme_Co", "--from", "fencing"}, exitUsage, "ID: "},
		{"a claimed number", []string{"acme", "--from", "fencing", "--phone", "+1 503 555 0142"}, exitInvalid, "+15035550142 already belongs to business superior-fencing"},
		{"a bad number", []string{"acme", "--from", "fencing", "--phone", "555-0100"}, exitInvalid, "--phone: "},
		{"no template", []string{"acme"}, exitUsage, "--from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"configs", "new", "--dir", dir}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s%s", code, tt.wantCode, tt.want, out, errOut)
			}
		})
	}
	if after, _ := os.ReadFile(cfg); string(after) != string(before) {
		t.Error("an existing business's config was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "businesses", "acme")); !os.IsNotExist(err) {
		t.Errorf("a refused run left businesses/acme behind: %v", err)
	}
}

func TestConfigsShowPrintsSnippet(t *testing.T) {
	code, out, errOut := runCLI(t, "configs", "show", "superior-fencing", "--dir", "../../configs", "--web-origin", "https://chat.example.com")
	want := `<script src="https://chat.example.com/widget.js" data-business="superior-fencing" async></script>`
	if code != exitOK || !strings.Contains(errOut, want) || strings.Contains(out, "<script") {
		t.Errorf("exit %d; want the snippet on stderr, JSON alone on stdout\nstderr: %s", code, errOut)
	}
}
