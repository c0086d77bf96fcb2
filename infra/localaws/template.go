package localaws

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is what the local stack reads from the SAM template: each
// function's code directory, timeout, memory and environment (Globals
// merged with its own), the parameters' defaults, and the event source
// mappings. Values stay template expressions until Resolve gives them
// local meaning.
type Template struct {
	Parameters map[string]Parameter
	Functions  map[string]*TemplateFunction // by logical id
	Mappings   []EventSourceMapping
}

// Parameter is a template parameter.
type Parameter struct {
	Default    string
	HasDefault bool
}

// TemplateFunction is an AWS::Serverless::Function.
type TemplateFunction struct {
	LogicalID string // WsMessageFunction
	Name      string // ws-message: its code is functions/<Name>
	Timeout   int    // seconds
	MemoryMB  int
	Env       map[string]*yaml.Node // variable → expression
}

// EventSourceMapping is an AWS::Lambda::EventSourceMapping.
type EventSourceMapping struct {
	LogicalID                 string
	Function                  string   // logical id of the function
	Source                    string   // "AppTable.StreamArn" for !GetAtt AppTable.StreamArn
	StartingPosition          string   // TRIM_HORIZON | LATEST
	BatchSize                 int      // default 100
	MaxBatchingWindowSeconds  int      //
	ReportBatchItemFailures   bool     // FunctionResponseTypes has ReportBatchItemFailures
	BisectOnError             bool     // BisectBatchOnFunctionError
	MaxRetryAttempts          int      // -1: until the record expires
	MaxRecordAgeSeconds       int      // -1: no limit
	Filters                   []string // FilterCriteria.Filters[].Pattern (JSON)
	OnFailureDestinationIsSet bool
}

// ReadTemplate reads and parses a SAM template.
func ReadTemplate(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseTemplate(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTemplate parses a SAM template.
func ParseTemplate(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("empty template")
	}
	root := doc.Content[0]
	t := &Template{Parameters: map[string]Parameter{}, Functions: map[string]*TemplateFunction{}}
	for name, p := range mapping(get(root, "Parameters")) {
		d := get(p, "Default")
		t.Parameters[name] = Parameter{Default: scalar(d), HasDefault: d != nil}
	}
	globals := get(root, "Globals", "Function")
	for id, r := range mapping(get(root, "Resources")) {
		props := get(r, "Properties")
		switch scalar(get(r, "Type")) {
		case "AWS::Serverless::Function":
			f := &TemplateFunction{LogicalID: id, Name: FunctionName(id), Env: map[string]*yaml.Node{}}
			var err error
			if f.Timeout, err = intSetting(props, globals, "Timeout", 3); err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			if f.MemoryMB, err = intSetting(props, globals, "MemorySize", 128); err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			for k, v := range mapping(get(globals, "Environment", "Variables")) {
				f.Env[k] = v
			}
			for k, v := range mapping(get(props, "Environment", "Variables")) {
				f.Env[k] = v
			}
			t.Functions[id] = f
		case "AWS::Lambda::EventSourceMapping":
			m := EventSourceMapping{LogicalID: id, BatchSize: 100, MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1}
			m.Function = refName(get(props, "FunctionName"))
			if n := get(props, "EventSourceArn"); n != nil && n.Tag == "!GetAtt" {
				m.Source = scalar(n)
			}
			m.StartingPosition = scalar(get(props, "StartingPosition"))
			for _, f := range []struct {
				key string
				dst *int
			}{{"BatchSize", &m.BatchSize}, {"MaximumBatchingWindowInSeconds", &m.MaxBatchingWindowSeconds},
				{"MaximumRetryAttempts", &m.MaxRetryAttempts}, {"MaximumRecordAgeInSeconds", &m.MaxRecordAgeSeconds}} {
				if n := get(props, f.key); n != nil {
					v, err := strconv.Atoi(scalar(n))
					if err != nil {
						return nil, fmt.Errorf("%s.%s: %q is not a number", id, f.key, scalar(n))
					}
					*f.dst = v
				}
			}
			if n := get(props, "FunctionResponseTypes"); n != nil {
				for _, c := range n.Content {
					m.ReportBatchItemFailures = m.ReportBatchItemFailures || c.Value == "ReportBatchItemFailures"
				}
			}
			m.BisectOnError = scalar(get(props, "BisectBatchOnFunctionError")) == "true"
			m.OnFailureDestinationIsSet = get(props, "DestinationConfig", "OnFailure") != nil
			if fs := get(props, "FilterCriteria", "Filters"); fs != nil {
				for _, f := range fs.Content {
					m.Filters = append(m.Filters, scalar(get(f, "Pattern")))
				}
			}
			t.Mappings = append(t.Mappings, m)
		}
	}
	sort.Slice(t.Mappings, func(i, j int) bool { return t.Mappings[i].LogicalID < t.Mappings[j].LogicalID })
	return t, nil
}

// FunctionName is the code directory name of a function's logical id, as
// the Makefile and infra/stackcheck derive it: WsConnectFunction →
// ws-connect, TwilioVoiceFunction → twilio-voice.
func FunctionName(logicalID string) string {
	s := strings.TrimSuffix(logicalID, "Function")
	s = regexp.MustCompile(`([a-z0-9])([A-Z])`).ReplaceAllString(s, "${1}-${2}")
	s = regexp.MustCompile(`([A-Z])([A-Z][a-z])`).ReplaceAllString(s, "${1}-${2}")
	return strings.ToLower(s)
}

// Function returns the function whose code is functions/<name>.
func (t *Template) Function(name string) (*TemplateFunction, bool) {
	for _, f := range t.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// Locals gives template references their local meaning.
type Locals struct {
	// Parameters override parameter defaults (e.g. Stage, which has none).
	Parameters map[string]string
	// Pseudo are pseudo parameters: AWS::Region, AWS::AccountId, AWS::Partition.
	Pseudo map[string]string
	// Refs are the local values of resources' !Ref (e.g. AppTable → the
	// local table's name).
	Refs map[string]string
	// Attrs are the local values of !GetAtt Resource.Attribute.
	Attrs map[string]string
	// APIs are the local base URLs of API resources: a URL of the form
	// <scheme>://${Api}.execute-api.${AWS::Region}.amazonaws.com[/${Stage}]
	// resolves to the API's local URL.
	APIs map[string]string
}

// Environment resolves a function's environment with local values. Every
// variable must resolve: an unknown reference is an error naming the
// variable, so a new variable in the template that the local stack cannot
// give a value fails here rather than in the function.
func (t *Template) Environment(f *TemplateFunction, l Locals) (map[string]string, error) {
	out := map[string]string{}
	var errs []string
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := t.resolve(f.Env[k], l)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", k, err))
			continue
		}
		out[k] = v
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s environment: %s", f.LogicalID, strings.Join(errs, "; "))
	}
	return out, nil
}

var executeAPIURL = regexp.MustCompile(`^[a-z]+://\$\{(\w+)\}\.execute-api\.\$\{AWS::Region\}\.amazonaws\.com(/\$\{Stage\})?/?$`)

func (t *Template) resolve(n *yaml.Node, l Locals) (string, error) {
	tag, arg := intrinsic(n)
	switch tag {
	case "":
		if n.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("want a string or an intrinsic function, got a %s", kindName(n))
		}
		return n.Value, nil
	case "Ref":
		return t.ref(scalar(arg), l)
	case "GetAtt":
		name := scalar(arg)
		if arg.Kind == yaml.SequenceNode && len(arg.Content) == 2 {
			name = arg.Content[0].Value + "." + arg.Content[1].Value
		}
		if v, ok := l.Attrs[name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("!GetAtt %s has no local value", name)
	case "Sub":
		text, vars := arg, (*yaml.Node)(nil)
		if arg.Kind == yaml.SequenceNode && len(arg.Content) == 2 {
			text, vars = arg.Content[0], arg.Content[1]
		}
		if m := executeAPIURL.FindStringSubmatch(text.Value); m != nil {
			if u, ok := l.APIs[m[1]]; ok {
				return u, nil
			}
			return "", fmt.Errorf("the URL of API %s has no local value", m[1])
		}
		return t.sub(text.Value, mapping(vars), l)
	case "Join":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 || arg.Content[1].Kind != yaml.SequenceNode {
			return "", fmt.Errorf("!Join wants [delimiter, [values]]")
		}
		parts := []string{}
		for _, p := range arg.Content[1].Content {
			v, err := t.resolve(p, l)
			if err != nil {
				return "", err
			}
			parts = append(parts, v)
		}
		return strings.Join(parts, arg.Content[0].Value), nil
	}
	return "", fmt.Errorf("!%s is not supported locally", tag)
}

func (t *Template) ref(name string, l Locals) (string, error) {
	if v, ok := l.Pseudo[name]; ok {
		return v, nil
	}
	if p, ok := t.Parameters[name]; ok {
		if v, ok := l.Parameters[name]; ok {
			return v, nil
		}
		if p.HasDefault {
			return p.Default, nil
		}
		return "", fmt.Errorf("parameter %s has no default and no local value", name)
	}
	if v, ok := l.Refs[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("!Ref %s has no local value", name)
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (t *Template) sub(text string, vars map[string]*yaml.Node, l Locals) (string, error) {
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // ${!Literal}
		}
		var v string
		var err error
		switch {
		case vars[name] != nil:
			v, err = t.resolve(vars[name], l)
		case strings.Contains(name, ".") && !strings.Contains(name, "::"):
			var ok bool
			if v, ok = l.Attrs[name]; !ok {
				err = fmt.Errorf("${%s} has no local value", name)
			}
		default:
			v, err = t.ref(name, l)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	})
	return out, firstErr
}

// intrinsic returns an intrinsic function's name and argument, in either
// the short (!Ref X) or the long ({Ref: X}, {Fn::Sub: …}) form.
func intrinsic(n *yaml.Node) (string, *yaml.Node) {
	if n == nil {
		return "", nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return strings.TrimPrefix(n.Tag, "!"), n
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return strings.TrimPrefix(k, "Fn::"), n.Content[1]
		}
	}
	return "", nil
}

func refName(n *yaml.Node) string {
	if tag, arg := intrinsic(n); tag == "Ref" {
		return scalar(arg)
	}
	return scalar(n)
}

func intSetting(props, globals *yaml.Node, key string, def int) (int, error) {
	n := get(props, key)
	if n == nil {
		n = get(globals, key)
	}
	if n == nil {
		return def, nil
	}
	v, err := strconv.Atoi(scalar(n))
	if err != nil {
		return 0, fmt.Errorf("%s %q: want a number", key, scalar(n))
	}
	return v, nil
}

// get walks mapping keys.
func get(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

func mapping(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1]
	}
	return out
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "node"
}
