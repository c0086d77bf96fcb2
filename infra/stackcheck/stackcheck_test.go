package stackcheck

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// defaultMakefile has a build target for every function the fixtures use.
const defaultMakefile = `# fixture Makefile
GOBUILD := GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc

.PHONY: build-WsConnectFunction build-WsMessageFunction build-TwilioVoiceFunction

build-WsConnectFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/ws-connect

build-WsMessageFunction build-TwilioVoiceFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(FN)
`

// defaultDirs are the function source directories the fixtures use.
var defaultDirs = []string{"ws-connect", "ws-message", "twilio-voice"}

// setupRoot creates a repository root in a temp dir with functions/<dir>/main.go
// for each dir and, unless noMakefile, a Makefile with the given content.
func setupRoot(t *testing.T, dirs []string, makefile string, noMakefile bool) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range dirs {
		dir := filepath.Join(root, "functions", d)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !noMakefile {
		if err := os.WriteFile(filepath.Join(root, "Makefile"), []byte(makefile), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func rulesOf(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Rule)
	}
	return out
}

func TestFixtures(t *testing.T) {
	none := []string{} // explicit "no directories"
	tests := []struct {
		name       string
		file       string
		dirs       []string // nil: defaultDirs
		makefile   string   // "": defaultMakefile
		noMakefile bool
		rule       string // "": the template must pass
		resource   string // logical id the problem must name
	}{
		{name: "good", file: "good.yaml"},
		{name: "function ok", file: "function.yaml"},
		{name: "CodeUri from Globals", file: "function-globals-codeuri.yaml"},
		{name: "pattern rule builds function", file: "function.yaml",
			makefile: "build-%Function:\n\tgo build -o $(ARTIFACTS_DIR)/bootstrap ./functions/$*\n"},

		{name: "missing functions dir", file: "function.yaml", dirs: none,
			rule: RuleFunctionSource, resource: "WsConnectFunction"},
		{name: "source dir for another function only", file: "function.yaml", dirs: []string{"ws-message"},
			rule: RuleFunctionSource, resource: "WsConnectFunction"},
		{name: "missing Makefile target", file: "function.yaml",
			makefile: ".PHONY: build-WsConnectFunction\nbuild-WsMessageFunction:\n\ttrue\nbuild-WsConnectFunction := x\n",
			rule:     RuleMakefileTarget, resource: "WsConnectFunction"},
		{name: "missing Makefile", file: "function.yaml", noMakefile: true,
			rule: RuleMakefileTarget, resource: "WsConnectFunction"},
		{name: "function without Function suffix", file: "function-bad-name.yaml",
			makefile: "build-WsConnect:\n\ttrue\n",
			rule:     RuleFunctionName, resource: "WsConnect"},
		{name: "missing BuildMethod", file: "function-no-build-method.yaml",
			rule: RuleBuildMethod, resource: "WsConnectFunction"},
		{name: "CodeUri not the root", file: "function-code-uri.yaml",
			rule: RuleCodeURI, resource: "WsConnectFunction"},

		{name: "Action *", file: "iam-action-star.yaml",
			rule: RuleWildcardAction, resource: "AppRole"},
		{name: "Action s3:*", file: "iam-service-star.yaml",
			rule: RuleWildcardAction, resource: "WsConnectFunction"},
		{name: "Resource *", file: "iam-resource-star.yaml",
			rule: RuleWildcardResource, resource: "AppPolicy"},
		{name: "broad managed policy name", file: "iam-managed-policy.yaml",
			rule: RuleBroadManagedPolicy, resource: "WsConnectFunction"},
		{name: "broad managed policy ARN", file: "iam-managed-policy-arn.yaml",
			rule: RuleBroadManagedPolicy, resource: "AppRole"},
		{name: "unscoped policy template", file: "iam-policy-template.yaml",
			rule: RuleBroadPolicyTemplate, resource: "WsConnectFunction"},

		{name: "route with hard-coded integration", file: "api-route-no-integration.yaml",
			rule: RuleRouteIntegration, resource: "ConnectRoute"},
		{name: "route without Target", file: "api-route-no-target.yaml",
			rule: RuleRouteIntegration, resource: "ConnectRoute"},
		{name: "route and integration on different APIs", file: "api-route-other-api.yaml",
			rule: RuleRouteIntegration, resource: "ConnectRoute"},
		{name: "integration without template function", file: "api-integration-no-function.yaml",
			rule: RuleIntegrationFunction, resource: "ConnectIntegration"},
		{name: "integration without permission", file: "api-no-permission.yaml",
			rule: RuleLambdaPermission, resource: "WsConnectFunction"},
		{name: "permission for another principal", file: "api-permission-wrong-principal.yaml",
			rule: RuleLambdaPermission, resource: "WsConnectFunction"},
		{name: "permission without SourceArn", file: "api-permission-no-source.yaml",
			rule: RulePermissionSourceArn, resource: "ConnectPermission"},

		{name: "table without stream", file: "table-no-stream.yaml",
			rule: RuleTableStream, resource: "AppTable"},
		{name: "table with KEYS_ONLY stream", file: "table-keys-only-stream.yaml",
			rule: RuleTableStream, resource: "AppTable"},
		{name: "table with TTL disabled", file: "table-no-ttl.yaml",
			rule: RuleTableTTL, resource: "AppTable"},
		{name: "table with another TTL attribute", file: "table-ttl-attribute.yaml",
			rule: RuleTableTTL, resource: "AppTable"},
		{name: "table without PITR", file: "table-no-pitr.yaml",
			rule: RuleTablePITR, resource: "AppTable"},
		{name: "table deleted with the stack", file: "table-delete-policy.yaml",
			rule: RuleRetain, resource: "AppTable"},
		{name: "bucket without public access block", file: "bucket-no-public-access-block.yaml",
			rule: RuleBucketPublicAccess, resource: "ConfigBucket"},
		{name: "bucket with partial public access block", file: "bucket-partial-public-access-block.yaml",
			rule: RuleBucketPublicAccess, resource: "ConfigBucket"},
		{name: "bucket without versioning", file: "bucket-no-versioning.yaml",
			rule: RuleBucketVersioning, resource: "ConfigBucket"},
		{name: "bucket without encryption", file: "bucket-no-encryption.yaml",
			rule: RuleBucketEncryption, resource: "ConfigBucket"},
		{name: "config bucket with SSE-KMS", file: "bucket-kms.yaml",
			rule: RuleBucketEncryption, resource: "ConfigBucket"},
		{name: "bucket with ACLs", file: "bucket-acls.yaml",
			rule: RuleBucketOwnership, resource: "ConfigBucket"},
		{name: "bucket without TLS-only policy", file: "bucket-no-tls-policy.yaml",
			rule: RuleBucketTLS, resource: "ConfigBucket"},
		{name: "bucket replaced without retain", file: "bucket-update-replace-delete.yaml",
			rule: RuleRetain, resource: "ConfigBucket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dirs, makefile := tc.dirs, tc.makefile
			if dirs == nil {
				dirs = defaultDirs
			}
			if makefile == "" {
				makefile = defaultMakefile
			}
			root := setupRoot(t, dirs, makefile, tc.noMakefile)
			tpl, err := Load(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := Check(tpl, Options{Root: root})
			if tc.rule == "" {
				if len(got) != 0 {
					t.Fatalf("want no problems, got:\n%s", joinProblems(got))
				}
				return
			}
			if len(got) != 1 || got[0].Rule != tc.rule || got[0].Resource != tc.resource {
				t.Fatalf("want exactly one %s problem on %s, got:\n%s", tc.rule, tc.resource, joinProblems(got))
			}
			if got[0].Message == "" {
				t.Error("problem has no message")
			}
			t.Log(got[0])
		})
	}
}

func joinProblems(ps []Problem) string {
	if len(ps) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// repositoryTemplate is the repository's template.yaml.
func repositoryTemplate(t *testing.T) *Template {
	t.Helper()
	tpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// TestRepositoryTemplate keeps the real template.yaml clean.
func TestRepositoryTemplate(t *testing.T) {
	tpl := repositoryTemplate(t)
	if ps := Check(tpl, Options{Root: "../.."}); len(ps) != 0 {
		t.Fatalf("template.yaml breaks stack invariants:\n%s", joinProblems(ps))
	}
	if ps := CheckOperations(tpl); len(ps) != 0 {
		t.Fatalf("template.yaml breaks operational invariants:\n%s", joinProblems(ps))
	}

	// The storage rules only bite if the foundation resources are there.
	for id, typ := range map[string]string{AppTableID: typeTable, ConfigBucketID: typeBucket} {
		if got := tpl.Resources[id].Type; got != typ {
			t.Errorf("resource %s has type %q, want %s", id, got, typ)
		}
	}
	if got := tpl.Body["Transform"]; got != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v", got)
	}
	stage := get(tpl.Body, "Parameters", "Stage", "AllowedValues")
	if !slicesEqualAny(stage, "dev", "prod") {
		t.Errorf("Stage AllowedValues = %v, want [dev prod]", stage)
	}
	g := tpl.Globals("Function")
	for k, want := range map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active"} {
		if g[k] != want {
			t.Errorf("Globals.Function.%s = %v, want %v", k, g[k], want)
		}
	}
	if !slicesEqualAny(g["Architectures"], "arm64") {
		t.Errorf("Globals.Function.Architectures = %v, want [arm64]", g["Architectures"])
	}
	vars := get(g, "Environment", "Variables")
	for k, ref := range map[string]string{"STAGE": "Stage", "TABLE_NAME": AppTableID, "CONFIG_BUCKET": ConfigBucketID} {
		if got := get(vars, k, "Ref"); got != ref {
			t.Errorf("Globals env %s = %v, want !Ref %s", k, get(vars, k), ref)
		}
	}
	if got := getString(g, "LoggingConfig", "LogFormat"); got != "JSON" {
		t.Errorf("LoggingConfig.LogFormat = %q, want JSON", got)
	}
}

// The daily-budget metric (pkg/admission's embedded metric, admission.BudgetSpent: namespace
// AHCA, metric BudgetSpent, dimension businessId) has an alarm that
// notifies like the others, and docs/operations.md's alarm table says what
// to do when it fires.
func TestBudgetSpentAlarm(t *testing.T) {
	tpl := repositoryTemplate(t)
	r, ok := tpl.Resources["BudgetSpentAlarm"]
	if !ok || r.Type != "AWS::CloudWatch::Alarm" {
		t.Fatalf("no BudgetSpentAlarm alarm (got %q)", r.Type)
	}
	if got := getString(r.Properties, "AlarmName", "Fn::Sub"); got != "ahca-${Stage}-budget-spent" {
		t.Errorf("AlarmName = %v", get(r.Properties, "AlarmName"))
	}
	var expr string
	for _, m := range list(r.Properties["Metrics"]) {
		if get(m, "ReturnData") == true {
			expr = getString(m, "Expression")
		}
	}
	if expr != `SELECT SUM(BudgetSpent) FROM SCHEMA("AHCA", businessId)` {
		t.Errorf("alarm expression = %q, want every business's AHCA/BudgetSpent", expr)
	}
	// Wired like every other alarm: the stack's topic or AlarmTopicArn.
	want := get(tpl.Resources["DeadLetterAlarm"].Properties, "AlarmActions")
	if got := get(r.Properties, "AlarmActions"); got == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("AlarmActions = %v, want %v", got, want)
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	alarms := string(doc)
	if i := strings.Index(alarms, "## Alarms"); i >= 0 {
		alarms = alarms[i:]
		if j := strings.Index(alarms[1:], "\n## "); j >= 0 {
			alarms = alarms[:j+1]
		}
	}
	if !strings.Contains(alarms, "| `budget-spent` |") {
		t.Error("docs/operations.md's alarm table does not list budget-spent")
	}
}

func slicesEqualAny(v any, want ...string) bool {
	l, ok := v.([]any)
	if !ok || len(l) != len(want) {
		return false
	}
	for i, w := range want {
		if l[i] != w {
			return false
		}
	}
	return true
}

func TestProblemString(t *testing.T) {
	p := Problem{Resource: "AppRole", Rule: RuleWildcardAction, Message: "allows *"}
	if got, want := p.String(), "AppRole: [iam-wildcard-action] allows *"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var err error = p
	if err.Error() != p.String() {
		t.Errorf("Error() = %q", err.Error())
	}
	if got, want := (Problem{Rule: "r", Message: "m"}).String(), "[r] m"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestCheckNil(t *testing.T) {
	if ps := Check(nil, Options{}); ps != nil {
		t.Errorf("Check(nil) = %v", ps)
	}
}

func TestFunctionDir(t *testing.T) {
	tests := []struct {
		id, dir string
		ok      bool
	}{
		{"WsConnectFunction", "ws-connect", true},
		{"WsMessageFunction", "ws-message", true},
		{"WsDisconnectFunction", "ws-disconnect", true},
		{"TwilioVoiceFunction", "twilio-voice", true},
		{"EmailSummaryFunction", "email-summary", true},
		{"HealthFunction", "health", true},
		{"SMSSenderFunction", "sms-sender", true},
		{"SendSMSFunction", "send-sms", true},
		{"Oauth2CallbackFunction", "oauth2-callback", true},
		{"wsConnectFunction", "ws-connect", true},
		{"Function", "", false},
		{"WsConnect", "", false},
		{"WsConnectFunctionRole", "", false},
		{"2FaFunction", "", false},
		{"Ws_ConnectFunction", "", false},
		{"WsÜberFunction", "", false},
	}
	for _, tc := range tests {
		dir, ok := FunctionDir(tc.id)
		if dir != tc.dir || ok != tc.ok {
			t.Errorf("FunctionDir(%q) = %q, %v; want %q, %v", tc.id, dir, ok, tc.dir, tc.ok)
		}
	}
}

func TestMakeTargets(t *testing.T) {
	src := "# build-Commented:\n" +
		"VAR := build-Assigned: x\n" +
		"OTHER = a:b\n" +
		"SIMPLE ::= c\n" +
		".PHONY: build-Phony\n" +
		"build-A build-B: dep1 dep2 # comment\n" +
		"\tbuild-Recipe: not a target\n" +
		"build-Long \\\n  build-Continued: dep\n" +
		"define TEMPLATE\n" +
		"build-InDefine:\n" +
		"endef\n" +
		"$(FUNCS): build-%: x\n" + // static pattern rule: targets unknown

		"build-%Function:\r\n" +
		"build-Double::\n"
	got := makeTargets([]byte(src))
	want := []string{".PHONY", "build-A", "build-B", "build-Long", "build-Continued", "build-%Function", "build-Double"}
	if !slices.Equal(got, want) {
		t.Errorf("makeTargets = %q\nwant          %q", got, want)
	}

	m := makefile{targets: []string{"build-Exact", "build-%Function"}}
	for target, want := range map[string]bool{
		"build-Exact":             true,
		"build-WsConnectFunction": true,
		"build-Function":          false, // the stem of a pattern is never empty
		"build-WsConnect":         false,
		"build-Other":             false,
	} {
		if got := m.has(target); got != want {
			t.Errorf("has(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestRefs(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{`!Ref Stage`, []string{"Stage"}},
		{`!Ref AWS::Region`, nil},
		{`!Ref WsConnectFunction.Alias`, []string{"WsConnectFunction"}},
		{`!GetAtt AppTable.StreamArn`, []string{"AppTable"}},
		{`!GetAtt [AppTable, Arn]`, []string{"AppTable"}},
		{`!Sub "arn:${AWS::Partition}:x:${Fn.Arn}/${Api}/${!Literal}/${Api}"`, []string{"Fn", "Api"}},
		{`!Sub ["integrations/${I}", {I: !Ref RealIntegration}]`, []string{"RealIntegration"}},
		{`!Join ["/", [integrations, !Ref I, !GetAtt F.Arn]]`, []string{"I", "F"}},
		{`{Outer: [!Ref A, {Inner: !Ref B}], Other: !Ref A}`, []string{"A", "B"}},
		{`plain ${NotSub}`, nil},
	}
	for _, tc := range tests {
		v := decodeValue(t, tc.src)
		if got := refs(v); !slices.Equal(got, tc.want) {
			t.Errorf("refs(%s) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

// TestIAMVariants covers IAM shapes the fixtures do not.
func TestIAMVariants(t *testing.T) {
	role := func(statements string) string {
		return `
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: ` + statements + "\n"
	}
	fn := func(policies string) string {
		return `
Resources:
  R:
    Type: AWS::Serverless::StateMachine
    Properties:
      Policies: ` + policies + "\n"
	}
	tests := []struct {
		name, src string
		want      []string
	}{
		{"exempt actions on *", role(`[{Effect: Allow, Action: [xray:PutTraceSegments, XRAY:PutTelemetryRecords, cloudwatch:PutMetricData], Resource: "*"}]`), nil},
		{"exempt and other action on *", role(`[{Effect: Allow, Action: [xray:PutTraceSegments, logs:CreateLogGroup], Resource: "*"}]`), []string{RuleWildcardResource}},
		{"* on * is two problems", role(`[{Effect: Allow, Action: "*", Resource: ["arn:aws:s3:::b", "*"]}]`), []string{RuleWildcardAction, RuleWildcardResource}},
		{"deny is not a grant", role(`[{Effect: Deny, Action: "*", Resource: "*"}]`), nil},
		{"NotAction", role(`[{Effect: Allow, NotAction: iam:*, Resource: arn:aws:s3:::b}]`), []string{RuleWildcardAction}},
		{"NotResource", role(`[{Effect: Allow, Action: s3:GetObject, NotResource: arn:aws:s3:::b}]`), []string{RuleWildcardResource}},
		{"partial wildcard is allowed", role(`[{Effect: Allow, Action: s3:Get*, Resource: arn:aws:s3:::b/*}]`), nil},
		{"statement inside Fn::If", role(`[!If [C, {Effect: Allow, Action: dynamodb:*, Resource: arn:x}, !Ref AWS::NoValue]]`), []string{RuleWildcardAction}},
		{"single statement map", role(`{Effect: Allow, Action: sqs:SendMessage, Resource: "*"}`), []string{RuleWildcardResource}},
		{"JSON string document", `
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: p
      PolicyDocument: '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]}'
`, []string{RuleWildcardAction}},
		{"managed policy with Statement", `
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, Action: [s3:GetObject], Resource: "*"}]}
`, []string{RuleWildcardResource}},
		{"Policies as one managed policy name", fn(`AdministratorAccess`), []string{RuleBroadManagedPolicy}},
		{"PowerUserAccess by Sub ARN", fn(`[!Sub "arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess"]`), []string{RuleBroadManagedPolicy}},
		{"S3 full access by Join ARN", fn(`[!Join ["", ["arn:", !Ref AWS::Partition, ":iam::aws:policy/AmazonS3FullAccess"]]]`), []string{RuleBroadManagedPolicy}},
		{"customer managed policy named FullAccess", fn(`[arn:aws:iam::123456789012:policy/TeamFullAccess]`), nil},
		{"managed policy by Ref", fn(`[!Ref SomePolicy]`), nil},
		{"narrow AWS managed policy", fn(`[AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess]`), nil},
		{"template without scope parameter", fn(`[{S3CrudPolicy: {}}]`), []string{RuleBroadPolicyTemplate}},
		{"template with empty scope", fn(`[{SQSSendMessagePolicy: {QueueName: ""}}]`), []string{RuleBroadPolicyTemplate}},
		{"unscoped full-access template", fn(`[{TextractPolicy: {}}]`), []string{RuleBroadPolicyTemplate}},
		{"unknown template with * parameter", fn(`[{FuturePolicy: {Thing: "*"}}]`), []string{RuleBroadPolicyTemplate}},
		{"parameterless narrow template", fn(`[{CloudWatchPutMetricPolicy: {}}, {VPCAccessPolicy: {}}]`), nil},
		{"scoped templates", fn(`[{DynamoDBStreamReadPolicy: {TableName: !Ref T, StreamName: "*"}}, {SSMParameterReadPolicy: {ParameterName: "ahca/dev/*"}}]`), nil},
		{"Policies inside Fn::If", fn(`[!If [C, AmazonSESFullAccess, !Ref AWS::NoValue]]`), []string{RuleBroadManagedPolicy}},
		{"inline document in SAM Policies", fn(`{Statement: [{Effect: Allow, Action: "states:*", Resource: arn:x}]}`), []string{RuleWildcardAction}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse([]byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			got := Check(tpl, Options{Root: t.TempDir()})
			if !slices.Equal(rulesOf(got), tc.want) {
				t.Errorf("rules = %q, want %q\n%s", rulesOf(got), tc.want, joinProblems(got))
			}
		})
	}
}

func TestParse(t *testing.T) {
	src := `
Globals:
  Function:
    Timeout: 10
Resources:
  Zeta:
    Type: AWS::SNS::Topic
  Alpha:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    Metadata: {Note: x}
    Properties:
      BucketName: !Sub "b-${AWS::AccountId}"
`
	tpl, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.LogicalIDs(); !slices.Equal(got, []string{"Zeta", "Alpha"}) {
		t.Errorf("LogicalIDs = %q, want document order", got)
	}
	a := tpl.Resources["Alpha"]
	if a.Type != "AWS::S3::Bucket" || a.DeletionPolicy != "Retain" || a.UpdateReplacePolicy != "" || a.Line != 8 {
		t.Errorf("Alpha = %+v", a)
	}
	if getString(a.Metadata, "Note") != "x" || get(a.Properties, "BucketName", "Fn::Sub") != "b-${AWS::AccountId}" {
		t.Errorf("Alpha Metadata/Properties = %v / %v", a.Metadata, a.Properties)
	}
	if tpl.Resources["Zeta"].Properties != nil {
		t.Errorf("Zeta has properties")
	}
	if tpl.Globals("Function")["Timeout"] != 10 {
		t.Errorf("Globals.Function = %v", tpl.Globals("Function"))
	}
	if tpl.Globals("Api") != nil {
		t.Errorf("Globals.Api = %v", tpl.Globals("Api"))
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"empty":               ``,
		"not a mapping":       `[a, b]`,
		"no Resources":        `Parameters: {}`,
		"Resources not a map": `Resources: [a]`,
		"resource not a map":  "Resources:\n  A: 1\n",
		"resource no Type":    "Resources:\n  A: {Properties: {}}\n",
		"unknown tag":         "Resources:\n  A: {Type: X, Properties: {P: !Bogus x}}\n",
		"bad GetAtt":          "Resources:\n  A: {Type: X, Properties: {P: !GetAtt NoDot}}\n",
		"bad long GetAtt":     "Resources:\n  A: {Type: X, Properties: {P: {Fn::GetAtt: NoDot}}}\n",
		"duplicate key":       "Resources:\n  A: {Type: X}\n  A: {Type: Y}\n",
		"invalid YAML":        "Resources: {A: [}\n",
	}
	for name, src := range tests {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", name)
		}
	}
	if _, err := Load(filepath.Join("testdata", "does-not-exist.yaml")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}
