package stackcheck

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
)

// A stage check answers, without an AWS account, "would the businesses'
// settings work in this stage as deployed from template.yaml and
// samconfig.toml?": every reference a function must resolve is within what
// the template grants that function (ssm:GetParameter and
// secretsmanager:GetSecretValue resources, the environment it sets), every
// SES sender is within its ses:SendEmail resources, and the SMS settings
// ws-message reads are set. The grants are read from the template itself,
// so the check follows the template as it changes.

// StageParams are the values a deployment of the template would see.
type StageParams struct {
	Stage     string
	Region    string            // default us-west-2
	Account   string            // default 111122223333 (any account: the grants use the stack's own)
	Partition string            // default aws
	Overrides map[string]string // parameter_overrides
}

// FunctionAccess is what one function of a stage may read and do.
type FunctionAccess struct {
	LogicalID string
	Dir       string            // functions/<Dir>
	Env       map[string]string // its environment, evaluated ("" when empty or not set)
	EnvSource map[string]string // for an empty variable: the parameter it comes from
	SSM       []string          // ARN patterns of ssm:GetParameter
	Secrets   []string          // ARN patterns of secretsmanager:GetSecretValue
	SES       []string          // ARN patterns of ses:SendEmail
}

// Stage is a template evaluated for one stage.
type Stage struct {
	Params    StageParams
	Functions map[string]*FunctionAccess // by Dir
}

// EvaluateStage evaluates the functions of t for p.
func EvaluateStage(t *Template, p StageParams) (*Stage, error) {
	if p.Region == "" {
		p.Region = "us-west-2"
	}
	if p.Account == "" {
		p.Account = "111122223333"
	}
	if p.Partition == "" {
		p.Partition = "aws"
	}
	ev := &evaluator{t: t, p: p, params: map[string]any{}}
	params, _ := t.Body["Parameters"].(map[string]any)
	for name, def := range params {
		d, _ := def.(map[string]any)
		v, set := p.Overrides[name]
		if !set {
			dv, has := d["Default"]
			if !has {
				if name == "Stage" {
					v = p.Stage
				} else {
					return nil, fmt.Errorf("template parameter %s has no default and no override", name)
				}
			} else {
				v = fmt.Sprint(dv)
			}
		}
		if name == "Stage" && p.Stage != "" {
			v = p.Stage
		}
		if typ, _ := d["Type"].(string); strings.HasPrefix(typ, "CommaDelimitedList") || strings.HasPrefix(typ, "List<") {
			ev.params[name] = splitList(v)
		} else {
			ev.params[name] = v
		}
	}
	st := &Stage{Params: p, Functions: map[string]*FunctionAccess{}}
	globalEnv := map[string]any{}
	if g := t.Globals("Function"); g != nil {
		if vars, ok := get(get(g, "Environment"), "Variables").(map[string]any); ok {
			globalEnv = vars
		}
	}
	for _, r := range t.ofType(typeServerlessFunction) {
		dir, ok := FunctionDir(r.LogicalID)
		if !ok {
			continue
		}
		fa := &FunctionAccess{LogicalID: r.LogicalID, Dir: dir, Env: map[string]string{}, EnvSource: map[string]string{}}
		vars := map[string]any{}
		for k, v := range globalEnv {
			vars[k] = v
		}
		if own, ok := get(get(r.Properties, "Environment"), "Variables").(map[string]any); ok {
			for k, v := range own {
				vars[k] = v
			}
		}
		for k, v := range vars {
			fa.Env[k] = ev.str(v)
			if m, ok := v.(map[string]any); ok && fa.Env[k] == "" {
				if ref, ok := m["Ref"].(string); ok {
					fa.EnvSource[k] = ref
				}
			}
		}
		for _, item := range list(r.Properties["Policies"]) {
			for _, stmt := range list(get(item, "Statement")) {
				m, _ := stmt.(map[string]any)
				if m == nil || strings.EqualFold(getString(m, "Effect"), "Deny") {
					continue
				}
				var res []string
				for _, x := range ev.list(m["Resource"]) {
					res = append(res, x)
				}
				for _, a := range stringsOf(m["Action"]) {
					switch strings.ToLower(a) {
					case "ssm:getparameter":
						fa.SSM = append(fa.SSM, res...)
					case "secretsmanager:getsecretvalue":
						fa.Secrets = append(fa.Secrets, res...)
					case "ses:sendemail":
						fa.SES = append(fa.SES, res...)
					}
				}
			}
		}
		st.Functions[dir] = fa
	}
	return st, nil
}

func splitList(s string) []any {
	if s == "" {
		return []any{}
	}
	var out []any
	for _, x := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(x))
	}
	return out
}

// evaluator resolves the intrinsic functions the template's environments
// and policies use. Resources evaluate to "<LogicalId>" placeholders.
type evaluator struct {
	t      *Template
	p      StageParams
	params map[string]any
}

func (e *evaluator) str(v any) string {
	l := e.eval(v)
	if s, ok := l.(string); ok {
		return s
	}
	return ""
}

func (e *evaluator) list(v any) []string {
	var out []string
	switch x := e.eval(v).(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, y := range x {
			out = append(out, e.list(y)...)
		}
	}
	return out
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (e *evaluator) eval(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		if l, ok := v.([]any); ok {
			out := make([]any, 0, len(l))
			for _, x := range l {
				out = append(out, e.eval(x))
			}
			return out
		}
		if v == nil {
			return ""
		}
		if s, ok := v.(string); ok {
			return s
		}
		return fmt.Sprint(v)
	}
	switch {
	case m["Ref"] != nil:
		return e.ref(fmt.Sprint(m["Ref"]))
	case m["Fn::Sub"] != nil:
		tmpl, vars := m["Fn::Sub"], map[string]any{}
		if l, ok := tmpl.([]any); ok && len(l) == 2 {
			tmpl = l[0]
			if mv, ok := l[1].(map[string]any); ok {
				for k, x := range mv {
					vars[k] = e.eval(x)
				}
			}
		}
		s, _ := tmpl.(string)
		return subVar.ReplaceAllStringFunc(s, func(ref string) string {
			name := ref[2 : len(ref)-1]
			if x, ok := vars[name]; ok {
				return e.flat(x)
			}
			if id, attr, ok := strings.Cut(name, "."); ok {
				return "<" + id + "." + attr + ">"
			}
			return e.flat(e.ref(name))
		})
	case m["Fn::Join"] != nil:
		l, _ := m["Fn::Join"].([]any)
		if len(l) != 2 {
			return ""
		}
		var parts []string
		for _, x := range e.list(l[1]) {
			parts = append(parts, x)
		}
		return strings.Join(parts, e.str(l[0]))
	case m["Fn::Split"] != nil:
		l, _ := m["Fn::Split"].([]any)
		if len(l) != 2 {
			return ""
		}
		return splitList(e.str(l[1]))
	case m["Fn::If"] != nil:
		l, _ := m["Fn::If"].([]any)
		if len(l) != 3 {
			return ""
		}
		if e.cond(fmt.Sprint(l[0])) {
			return e.eval(l[1])
		}
		return e.eval(l[2])
	case m["Fn::GetAtt"] != nil:
		l, _ := m["Fn::GetAtt"].([]any)
		if len(l) == 2 {
			return fmt.Sprintf("<%v.%v>", l[0], l[1])
		}
	}
	return ""
}

func (e *evaluator) flat(v any) string {
	if l, ok := v.([]any); ok {
		var parts []string
		for _, x := range l {
			parts = append(parts, e.flat(x))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

func (e *evaluator) ref(name string) any {
	switch name {
	case "AWS::Region":
		return e.p.Region
	case "AWS::AccountId":
		return e.p.Account
	case "AWS::Partition":
		return e.p.Partition
	case "AWS::StackName":
		return "ahca-" + e.p.Stage
	case "AWS::NoValue":
		return ""
	}
	if v, ok := e.params[name]; ok {
		return v
	}
	return "<" + name + ">"
}

func (e *evaluator) cond(name string) bool {
	conds, _ := e.t.Body["Conditions"].(map[string]any)
	return e.condValue(conds[name])
}

func (e *evaluator) condValue(v any) bool {
	m, _ := v.(map[string]any)
	switch {
	case m == nil:
		return false
	case m["Condition"] != nil:
		return e.cond(fmt.Sprint(m["Condition"]))
	case m["Fn::Equals"] != nil:
		l, _ := m["Fn::Equals"].([]any)
		return len(l) == 2 && e.flat(e.eval(l[0])) == e.flat(e.eval(l[1]))
	case m["Fn::Not"] != nil:
		l, _ := m["Fn::Not"].([]any)
		return len(l) == 1 && !e.condValue(l[0])
	case m["Fn::And"] != nil:
		for _, x := range list(m["Fn::And"]) {
			if !e.condValue(x) {
				return false
			}
		}
		return true
	case m["Fn::Or"] != nil:
		for _, x := range list(m["Fn::Or"]) {
			if e.condValue(x) {
				return true
			}
		}
	}
	return false
}

// arnMatch matches an ARN against an IAM resource pattern (* and ?).
func arnMatch(pattern, arn string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString(re, arn)
	return ok
}

// matchAny matches arn against the patterns. The account is not known
// offline (samconfig may name the real one, the template uses the stack's),
// so the account field matches any account.
func matchAny(patterns []string, arn string) bool {
	for _, p := range patterns {
		if arnMatch(anyAccount(p), anyAccount(arn)) {
			return true
		}
	}
	return false
}

func anyAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		parts[4] = "*"
		return strings.Join(parts, ":")
	}
	return arn
}

// CanResolve reports whether fn can resolve v in the stage, and why not.
// Literals always resolve.
func (s *Stage) CanResolve(fn string, v secret.Value) (bool, string) {
	fa := s.Functions[fn]
	if fa == nil {
		return false, fmt.Sprintf("template.yaml has no function %s", fn)
	}
	ref, isRef, err := secret.ParseRef(string(v))
	if err != nil {
		return false, err.Error()
	}
	if !isRef {
		return true, ""
	}
	p := s.Params
	switch ref.Kind {
	case secret.KindEnv:
		if fa.Env[ref.Name] == "" {
			if _, set := fa.Env[ref.Name]; set {
				return false, fmt.Sprintf("%s's environment variable %s is empty in stage %s", fn, ref.Name, p.Stage)
			}
			return false, fmt.Sprintf("nothing sets environment variable %s: template.yaml does not give it to %s (and the next deploy would wipe a manual setting)", ref.Name, fn)
		}
		return true, ""
	case secret.KindSSM:
		ref = ref.WithStage(p.Stage)
		name, _, _ := strings.Cut(ref.Name, ":")
		arn := fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s", p.Partition, p.Region, p.Account, name)
		if !matchAny(fa.SSM, arn) {
			return false, fmt.Sprintf("%s may not read SSM parameter %s (ssm:GetParameter is granted on %s)", fn, name, orNone(fa.SSM))
		}
		return true, ""
	case secret.KindSecretsManager:
		ref = ref.WithStage(p.Stage)
		arn := ref.Name
		if !strings.HasPrefix(arn, "arn:") {
			arn = fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-AbCdEf", p.Partition, p.Region, p.Account, ref.Name)
		}
		if !matchAny(fa.Secrets, arn) {
			return false, fmt.Sprintf("%s may not read secret %s (secretsmanager:GetSecretValue is granted on %s)", fn, ref.Name, orNone(fa.Secrets))
		}
		return true, ""
	}
	return false, "unknown reference kind"
}

// CanSendAs reports whether fn may send email as address through SES.
func (s *Stage) CanSendAs(fn, address string) (bool, string) {
	fa := s.Functions[fn]
	if fa == nil {
		return false, fmt.Sprintf("template.yaml has no function %s", fn)
	}
	p := s.Params
	_, domain, _ := strings.Cut(address, "@")
	base := fmt.Sprintf("arn:%s:ses:%s:%s:identity/", p.Partition, p.Region, p.Account)
	// SES authorizes a send on the identity it is verified as: the address
	// or its domain (or a parent domain).
	cands := []string{base + address}
	for d := domain; d != ""; {
		cands = append(cands, base+d)
		_, rest, ok := strings.Cut(d, ".")
		if !ok || !strings.Contains(rest, ".") {
			break
		}
		d = rest
	}
	for _, c := range cands {
		if matchAny(fa.SES, c) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("%s may not send as %s: ses:SendEmail is granted on %s, not on identity/%s", fn, address, orNone(fa.SES), domain)
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "nothing"
	}
	return strings.Join(l, ", ")
}

// SMS settings ws-message reads: each must be set and, when a reference,
// readable.
var smsSettings = []string{"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN_REF", "TWILIO_SMS_FROM"}

// CheckSMS reports why fn could not send texts in the stage.
func (s *Stage) CheckSMS(fn string) []string {
	fa := s.Functions[fn]
	if fa == nil {
		return []string{fmt.Sprintf("template.yaml has no function %s", fn)}
	}
	var out []string
	for _, name := range smsSettings {
		if name == "TWILIO_SMS_FROM" && fa.Env["TWILIO_MESSAGING_SERVICE_SID"] != "" {
			continue
		}
		v, set := fa.Env[name]
		switch {
		case !set:
			out = append(out, fmt.Sprintf("%s has no %s in template.yaml", fn, name))
		case v == "" && fa.EnvSource[name] != "":
			out = append(out, fmt.Sprintf("%s's %s is empty: template parameter %s is not set for stage %s", fn, name, fa.EnvSource[name], s.Params.Stage))
		case v == "":
			out = append(out, fmt.Sprintf("%s's %s is empty", fn, name))
		default:
			if ok, why := s.CanResolve(fn, secret.Value(v)); !ok {
				out = append(out, fmt.Sprintf("%s: %s", name, why))
			}
		}
	}
	return out
}

// Finding is one setting of one business that would fail in the stage.
type Finding struct {
	Business string
	File     string
	Path     string
	Value    string // the reference or sender, as written
	Feature  string
	Function string
	Why      string
}

func (f Finding) String() string {
	where := f.Path
	if f.Value != "" {
		where += " " + f.Value
	}
	return fmt.Sprintf("%s: %s: %s fails in %s: %s", f.File, where, f.Feature, f.Function, f.Why)
}

// CheckBusinesses returns every use of every business of set that the
// stage's functions could not satisfy. dir prefixes the file names.
func (s *Stage) CheckBusinesses(set *business.Set, dir string) []Finding {
	var out []Finding
	for _, id := range set.IDs() {
		b, _ := set.Business(id)
		smsDone := map[string]bool{}
		for _, u := range b.Uses() {
			f := Finding{Business: string(id), File: strings.TrimSuffix(dir, "/") + "/" + u.File, Path: u.Path, Value: string(u.Value), Feature: u.Feature, Function: u.Function}
			switch u.Kind {
			case business.UseSecret:
				if ok, why := s.CanResolve(u.Function, u.Value); !ok {
					f.Why = why
					out = append(out, f)
				}
			case business.UseSender:
				if ok, why := s.CanSendAs(u.Function, string(u.Value)); !ok {
					f.Why = why
					out = append(out, f)
				}
			case business.UseSMS:
				if smsDone[u.Function] {
					continue
				}
				smsDone[u.Function] = true
				for _, why := range s.CheckSMS(u.Function) {
					f.Why = why
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// ParametersToCreate lists the stage-relative and stage-absolute SSM
// parameters and secrets the businesses reference, for the operator.
func (s *Stage) ParametersToCreate(set *business.Set) []string {
	seen := map[string]bool{}
	for _, id := range set.IDs() {
		b, _ := set.Business(id)
		for _, u := range b.Uses() {
			ref, isRef, err := secret.ParseRef(string(u.Value))
			if u.Kind != business.UseSecret || err != nil || !isRef || ref.Kind == secret.KindEnv {
				continue
			}
			seen[ref.WithStage(s.Params.Stage).String()] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LoadSamconfig returns the region and parameter_overrides of
// [<env>.deploy.parameters] in a samconfig.toml (the subset of TOML that
// file uses: sections and key = "string").
func LoadSamconfig(path, env string) (region string, overrides map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	want := "[" + env + ".deploy.parameters]"
	in, found := false, false
	overrides = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == want
			found = found || in
			continue
		}
		if !in || line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		s, err := strconv.Unquote(strings.TrimSpace(v))
		if err != nil {
			continue
		}
		switch k {
		case "region":
			region = s
		case "parameter_overrides":
			for _, kv := range splitOverrides(s) {
				if pk, pv, ok := strings.Cut(kv, "="); ok {
					overrides[pk] = strings.Trim(pv, `"'`)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, err
	}
	if !found {
		return "", nil, fmt.Errorf("%s: no %s section", path, want)
	}
	return region, overrides, nil
}

// splitOverrides splits `A=1 B="x y"` on spaces outside quotes.
func splitOverrides(s string) []string {
	var out []string
	var cur strings.Builder
	quote := rune(0)
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote = c
			cur.WriteRune(c)
		case c == ' ':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
