package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ahca/ahca/configs/templates"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/tenant"
)

// The command is added here, beside its code, rather than in main.go's
// table; it lists with the other configs commands all the same.
func init() {
	commands = append(commands, &command{name: "configs new", args: "ID", required: []string{"from"}, setup: configsNewSetup, about: configsNewAbout(),
		summary: "scaffold a business from a trade's template, placeholders marked; print the next steps"})
}

func configsNewAbout() string {
	var b strings.Builder
	b.WriteString("Writes DIR/businesses/ID/config.json and prompt_rules.json from a template, refusing to\n")
	b.WriteString("overwrite a business. Every value to fill in holds \"TODO\" (configs validate warns about\n")
	b.WriteString("each). Templates:\n")
	for _, t := range templates.List() {
		fmt.Fprintf(&b, "  %-14s %s\n", t.Name, t.About)
	}
	return b.String()
}

type newFlags struct {
	dir, from, name, phone, webOrigin string
}

func configsNewSetup(fs *flag.FlagSet) action {
	var f newFlags
	fs.StringVar(&f.dir, "dir", "configs", "configs tree `dir`ectory to add the business to")
	fs.StringVar(&f.from, "from", "", "`template`: "+templateNames())
	fs.StringVar(&f.name, "name", "", "the business's `name` (default: a TODO placeholder)")
	fs.StringVar(&f.phone, "phone", "", "its Twilio `number` in E.164 (default: an unused fictional +1555555 01xx number)")
	fs.StringVar(&f.webOrigin, "web-origin", "", "the stack's web `origin` for the widget snippet (default: $WEB_ORIGIN)")
	return func(ctx context.Context, inv *invocation) int { return configsNew(ctx, inv, f) }
}

func templateNames() string {
	var names []string
	for _, t := range templates.List() {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

func configsNew(ctx context.Context, inv *invocation, f newFlags) int {
	stdout, stderr := inv.stdout, inv.stderr
	id, err := tenant.ParseID(inv.args[0])
	if err != nil {
		return inv.usageError("ID: %v", err)
	}
	bizDir := filepath.Join(f.dir, "businesses", string(id))
	if _, err := os.Stat(bizDir); err == nil {
		return inv.failf(exitInvalid, "business %s already exists in %s: nothing written", id, bizDir)
	}
	set, code := loadDir(ctx, f.dir, stderr)
	if set == nil {
		return inv.failf(code, "the tree in %s must validate first: nothing written", f.dir)
	}
	number, err := newNumber(set, f.phone)
	if err != nil {
		return inv.failf(exitInvalid, "%v", err)
	}
	name := f.name
	if name == "" {
		name = business.Placeholder + ": the business's name"
	}
	cfg, prompts, err := templates.Render(f.from, templates.Data{ID: string(id), Name: name, Phone: number})
	if err != nil {
		return inv.usageError("--from: %v", err)
	}

	// What is written must validate on its own, before it touches the tree.
	rel := "businesses/" + string(id) + "/"
	alone, err := business.Build(f.dir, map[string][]byte{
		business.IndexFile:         []byte(`{"phoneToBusinessMap": {}}`),
		rel + business.ConfigFile:  cfg,
		rel + business.PromptsFile: prompts,
	})
	if err != nil {
		return inv.failf(exitFailed, "template %s does not validate: %v", f.from, err)
	}
	if err := writeNew(bizDir, map[string][]byte{business.ConfigFile: cfg, business.PromptsFile: prompts}); err != nil {
		return inv.failf(exitFailed, "%v", err)
	}
	// And the tree with it: numbers are checked across businesses.
	if set, code = loadDir(ctx, f.dir, stderr); set == nil {
		os.RemoveAll(bizDir)
		return inv.failf(code, "the tree does not validate with %s: nothing written", id)
	}
	b, _ := set.Business(id)
	fmt.Fprintf(stdout, "created %s and %s from the %s template\n", filepath.Join(bizDir, business.ConfigFile), business.PromptsFile, f.from)
	printNextSteps(stdout, b, alone.Warnings(), f)
	return exitOK
}

// newNumber returns want, checked and unclaimed in set, or the first
// fictional 555-01xx number no business of set uses.
func newNumber(set *business.Set, want string) (string, error) {
	claimed := map[string]tenant.ID{}
	for n, id := range set.Numbers() {
		claimed[n] = id
	}
	for _, id := range set.IDs() {
		b, _ := set.Business(id)
		claimed[b.Phone] = id
	}
	if want != "" {
		n, err := phone.ParseE164(want)
		if err != nil {
			return "", fmt.Errorf("--phone: %v", err)
		}
		if owner, ok := claimed[n]; ok {
			return "", fmt.Errorf("--phone: %s already belongs to business %s", n, owner)
		}
		return n, nil
	}
	for i := 100; i < 200; i++ {
		n := fmt.Sprintf("+1555555%04d", i)
		if _, ok := claimed[n]; !ok {
			return n, nil
		}
	}
	return "", errors.New("every fictional +1555555 01xx number is taken: give --phone")
}

// writeNew creates dir and files in it, none of which may exist yet.
func writeNew(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists: nothing overwritten", p)
			}
			return err
		}
		_, err = fh.Write(data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

func printNextSteps(w io.Writer, b *business.Business, warnings business.Problems, f newFlags) {
	fmt.Fprintln(w, "\nnext steps:")
	fmt.Fprintf(w, "1. Fill in the placeholders (each holds %q; `ahca configs validate --dir %s` warns about any left):\n", business.Placeholder, f.dir)
	for _, p := range warnings {
		if value, ok := p.Placeholder(); ok {
			if r := []rune(value); len(r) > 60 {
				value = string(r[:59]) + "…"
			}
			fmt.Fprintf(w, "     %s:%d %s: %s\n", filepath.Base(p.File), p.Line, p.Path, value)
		}
	}
	fmt.Fprintf(w, "2. Route its Twilio number: set \"phone\" (now %s) and map it in %s → phoneToBusinessMap.\n", b.Phone, filepath.Join(f.dir, business.IndexFile))
	step := 3
	var refs []string
	seen := map[secret.Value]bool{}
	for _, u := range b.Uses() {
		if u.Kind != business.UseSecret || !u.Value.IsRef() || seen[u.Value] {
			continue
		}
		seen[u.Value] = true
		line := fmt.Sprintf("     %s (%s)", u.Value, u.Path)
		if ref, _, err := secret.ParseRef(string(u.Value)); err == nil {
			if env, ok := secret.LocalEnvName(ref); ok {
				line += "; locally: export " + env + "=…"
			}
		}
		refs = append(refs, line)
	}
	if len(refs) > 0 {
		fmt.Fprintf(w, "%d. Create the parameters it references in each stage (`ahca configs validate --stage dev` shows what is missing):\n%s\n", step, strings.Join(refs, "\n"))
		step++
	}
	fmt.Fprintf(w, "%d. Publish: ahca configs push --dir %s --bucket <the stack's ConfigBucket> (or make configs-push STAGE=dev).\n", step, f.dir)
	fmt.Fprintf(w, "%d. Put the chat on its website (and its origin in web.allowedOrigins):\n     %s\n", step+1, b.WidgetSnippet(webOrigin(f.webOrigin)))
}

// webOrigin is where the stack serves widget.js: the flag, else the first of
// WEB_ORIGIN's origins, else a placeholder to replace.
func webOrigin(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env, _, _ := strings.Cut(os.Getenv("WEB_ORIGIN"), ","); strings.TrimSpace(env) != "" {
		return strings.TrimSpace(env)
	}
	return "<WEB_ORIGIN>"
}
