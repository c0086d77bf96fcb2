// Package templates holds the starting configs `ahca configs new` writes for
// a new business, one directory per trade. The files are named *.tmpl so
// nothing reads them as a business (the configs loader reads only
// businesses/<id>/ and the top-level files, and configs push publishes
// only those).
package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"text/template"
)

//go:embed */config.json.tmpl */prompt_rules.json.tmpl */about.txt
var files embed.FS

// Data fills a template.
type Data struct {
	ID    string // the business id, also its directory name
	Name  string // the business's name
	Phone string // its Twilio number, E.164
}

// Template is one trade's starting point.
type Template struct {
	Name  string // directory name: "plumbing"
	About string // one line for the command's help
}

// List returns every template, by name.
func List() []Template {
	dirs, _ := fs.ReadDir(files, ".")
	var out []Template
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		about, _ := files.ReadFile(d.Name() + "/about.txt")
		out = append(out, Template{Name: d.Name(), About: strings.TrimSpace(string(about))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Render returns the config.json and prompt_rules.json the template named
// name writes for d.
func Render(name string, d Data) (config, prompts []byte, err error) {
	if _, err := fs.Stat(files, name+"/config.json.tmpl"); err != nil {
		var names []string
		for _, t := range List() {
			names = append(names, t.Name)
		}
		return nil, nil, fmt.Errorf("no template %q: want one of %s", name, strings.Join(names, ", "))
	}
	if config, err = render(name+"/config.json.tmpl", d); err != nil {
		return nil, nil, err
	}
	if prompts, err = render(name+"/prompt_rules.json.tmpl", d); err != nil {
		return nil, nil, err
	}
	return config, prompts, nil
}

func render(path string, d Data) ([]byte, error) {
	t, err := template.New(path).Option("missingkey=error").Funcs(template.FuncMap{
		// esc escapes a value for inside a JSON string: "Hi, {{esc .Name}}".
		"esc": func(s string) (string, error) {
			b, err := json.Marshal(s)
			return strings.Trim(string(b), `"`), err
		},
	}).ParseFS(files, path)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, path[strings.LastIndexByte(path, '/')+1:], d); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	return b.Bytes(), nil
}
