package stackcheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ResourceStarActions are the only actions an Allow statement may grant on
// Resource "*": AWS defines no resource type for them, so "*" is the only
// resource they can be authorized on. Keep the list short; add an action
// only with the same justification, never for convenience. (Counter
// example: logs:CreateLogGroup does support log-group ARNs, so it is not
// here.)
var ResourceStarActions = []string{
	"xray:PutTraceSegments",    // active tracing: send segments
	"xray:PutTelemetryRecords", // active tracing: send daemon telemetry
	"cloudwatch:PutMetricData", // custom metrics; scope with the cloudwatch:namespace condition
}

// BroadManagedPolicy reports whether name (an AWS managed policy name, not an
// ARN) is too broad for this stack: account-wide administration or read, or
// any "*FullAccess*" policy.
func BroadManagedPolicy(name string) bool {
	switch {
	case strings.HasPrefix(name, "AdministratorAccess"), // incl. -Amplify, -AWSElasticBeanstalk
		name == "PowerUserAccess",
		name == "ReadOnlyAccess", // reads every table and bucket of the account
		name == "AmazonAPIGatewayAdministrator",
		strings.Contains(strings.ToLower(name), "fullaccess"): // AmazonDynamoDBFullAccess, AmazonS3FullAccess, IAMFullAccess, ...
		return true
	}
	return false
}

// samPolicyScope lists, for the SAM policy templates that take one, the
// parameters that select the resource(s) the template grants access to
// (from samtranslator's policy_templates.json). A missing, empty or "*"
// value turns a scoped template into access to every such resource.
var samPolicyScope = map[string][]string{
	"AcmGetCertificatePolicy":                        {"CertificateArn"},
	"AthenaQueryPolicy":                              {"WorkGroupName"},
	"AWSSecretsManagerGetSecretValuePolicy":          {"SecretArn"},
	"AWSSecretsManagerRotationPolicy":                {"FunctionName"},
	"CodeCommitCrudPolicy":                           {"RepositoryName"},
	"CodeCommitReadPolicy":                           {"RepositoryName"},
	"CodePipelineReadOnlyPolicy":                     {"PipelineName"},
	"DynamoDBBackupFullAccessPolicy":                 {"TableName"},
	"DynamoDBCrudPolicy":                             {"TableName"},
	"DynamoDBReadPolicy":                             {"TableName"},
	"DynamoDBReconfigurePolicy":                      {"TableName"},
	"DynamoDBRestoreFromBackupPolicy":                {"TableName"},
	"DynamoDBStreamReadPolicy":                       {"TableName"},
	"DynamoDBWritePolicy":                            {"TableName"},
	"EC2CopyImagePolicy":                             {"ImageId"},
	"EFSWriteAccessPolicy":                           {"FileSystem", "AccessPoint"},
	"EcsRunTaskPolicy":                               {"TaskDefinition"},
	"ElasticMapReduceAddJobFlowStepsPolicy":          {"ClusterId"},
	"ElasticMapReduceCancelStepsPolicy":              {"ClusterId"},
	"ElasticMapReduceModifyInstanceFleetPolicy":      {"ClusterId"},
	"ElasticMapReduceModifyInstanceGroupsPolicy":     {"ClusterId"},
	"ElasticMapReduceSetTerminationProtectionPolicy": {"ClusterId"},
	"ElasticMapReduceTerminateJobFlowsPolicy":        {"ClusterId"},
	"ElasticsearchHttpPostPolicy":                    {"DomainName"},
	"EventBridgePutEventsPolicy":                     {"EventBusName"},
	"FilterLogEventsPolicy":                          {"LogGroupName"},
	"FirehoseCrudPolicy":                             {"DeliveryStreamName"},
	"FirehoseWritePolicy":                            {"DeliveryStreamName"},
	"KinesisCrudPolicy":                              {"StreamName"},
	"KinesisStreamReadPolicy":                        {"StreamName"},
	"KMSDecryptPolicy":                               {"KeyId"},
	"KMSEncryptPolicy":                               {"KeyId"},
	"KMSEncryptPolicy_v2":                            {"KeyId"},
	"LambdaInvokePolicy":                             {"FunctionName"},
	"PinpointEndpointAccessPolicy":                   {"PinpointApplicationId"},
	"PollyFullAccessPolicy":                          {"LexiconName"},
	"RekognitionFacesManagementPolicy":               {"CollectionId"},
	"RekognitionNoDataAccessPolicy":                  {"CollectionId"},
	"RekognitionReadPolicy":                          {"CollectionId"},
	"RekognitionWriteOnlyAccessPolicy":               {"CollectionId"},
	"Route53ChangeResourceRecordSetsPolicy":          {"HostedZoneId"},
	"S3CrudPolicy":                                   {"BucketName"},
	"S3FullAccessPolicy":                             {"BucketName"},
	"S3ReadPolicy":                                   {"BucketName"},
	"S3WritePolicy":                                  {"BucketName"},
	"SageMakerCreateEndpointConfigPolicy":            {"EndpointConfigName"},
	"SageMakerCreateEndpointPolicy":                  {"EndpointName"},
	"SESBulkTemplatedCrudPolicy":                     {"IdentityName"},
	"SESBulkTemplatedCrudPolicy_v2":                  {"IdentityName", "TemplateName"},
	"SESCrudPolicy":                                  {"IdentityName"},
	"SESSendBouncePolicy":                            {"IdentityName"},
	"SNSCrudPolicy":                                  {"TopicName"},
	"SNSPublishMessagePolicy":                        {"TopicName"},
	"SQSPollerPolicy":                                {"QueueName"},
	"SQSSendMessagePolicy":                           {"QueueName"},
	"SSMParameterReadPolicy":                         {"ParameterName"},
	"SSMParameterWithSlashPrefixReadPolicy":          {"ParameterName"},
	"StepFunctionsCallbackPolicy":                    {"StateMachineName"},
	"StepFunctionsExecutionPolicy":                   {"StateMachineName"},
	"StepFunctionsExecutionPolicy_v2":                {"StateMachineName"},
}

// unscopedSAMTemplates are SAM policy templates without a scope parameter
// that grant write or full access on "*". (The read-only/describe templates
// without parameters, and CloudWatchPutMetricPolicy, are fine.)
var unscopedSAMTemplates = map[string]string{
	"TextractPolicy":             "grants textract:* on every resource",
	"CloudWatchDashboardPolicy":  "allows cloudwatch:PutDashboard on every dashboard",
	"SESEmailTemplateCrudPolicy": "allows creating, changing and deleting every SES email template",
}

// checkIAM applies the least-privilege rules to every identity policy.
func checkIAM(t *Template, ps *problems) {
	for _, id := range t.order {
		r := t.Resources[id]
		switch r.Type {
		case typeServerlessFunction, "AWS::Serverless::StateMachine":
			checkSAMPolicies(id, r.Properties["Policies"], ps)
		case "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group":
			for i, p := range list(r.Properties["Policies"]) {
				for _, p := range branches(p) {
					checkDocument(id, fmt.Sprintf("Policies[%d].PolicyDocument", i), get(p, "PolicyDocument"), ps)
				}
			}
			for i, a := range list(r.Properties["ManagedPolicyArns"]) {
				for _, a := range branches(a) {
					checkManagedPolicy(id, fmt.Sprintf("ManagedPolicyArns[%d]", i), a, ps)
				}
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
			"AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy":
			checkDocument(id, "PolicyDocument", r.Properties["PolicyDocument"], ps)
		}
	}
}

// checkSAMPolicies checks the Policies property of a SAM function or state
// machine: a managed policy name/ARN, a policy document, a SAM policy
// template object, or a list mixing them.
func checkSAMPolicies(id string, v any, ps *problems) {
	_, isList := v.([]any)
	for i, item := range list(v) {
		where := "Policies"
		if isList {
			where = fmt.Sprintf("Policies[%d]", i)
		}
		for _, item := range branches(item) {
			m, isMap := item.(map[string]any)
			switch {
			case !isMap:
				checkManagedPolicy(id, where, item, ps)
			case m["Statement"] != nil:
				checkDocument(id, where, m, ps)
			case intrinsicName(m) == "Ref":
				// A parameter or an AWS::IAM::ManagedPolicy of the template,
				// which is checked as a resource of its own.
			case intrinsicName(m) != "":
				checkManagedPolicy(id, where, m, ps)
			case len(m) == 1:
				for name, params := range m {
					checkPolicyTemplate(id, where, name, params, ps)
				}
			}
		}
	}
}

// checkManagedPolicy flags broad AWS managed policies given by name, ARN or
// an Fn::Sub/Fn::Join building the ARN.
func checkManagedPolicy(id, where string, v any, ps *problems) {
	s := flatText(v)
	if s == "" {
		return
	}
	if strings.HasPrefix(s, "arn:") && !strings.Contains(s, ":iam::aws:policy/") {
		return // customer managed: its document is what matters
	}
	name := s[strings.LastIndexByte(s, '/')+1:]
	if BroadManagedPolicy(name) {
		ps.add(id, RuleBroadManagedPolicy,
			"%s attaches the AWS managed policy %s, which is far broader than any function needs; use a SAM policy template or a statement scoped to this stack's resources",
			where, name)
	}
}

// checkPolicyTemplate flags SAM policy templates that end up unscoped.
func checkPolicyTemplate(id, where, name string, params any, ps *problems) {
	if why, ok := unscopedSAMTemplates[name]; ok {
		ps.add(id, RuleBroadPolicyTemplate, "%s: SAM policy template %s %s", where, name, why)
		return
	}
	pm, _ := params.(map[string]any)
	scope, known := samPolicyScope[name]
	if !known {
		scope = sortedKeys(pm) // unknown template: every parameter counts
	}
	for _, p := range scope {
		if v := pm[p]; isWildcardValue(v) {
			ps.add(id, RuleBroadPolicyTemplate,
				"%s: SAM policy template %s has %s %s, which grants access to every such resource; scope it, e.g. %s: !Ref <Resource>",
				where, name, p, describe(v), p)
		}
	}
}

// isWildcardValue reports whether a scope parameter selects everything.
func isWildcardValue(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && (strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "*")
}

// checkDocument checks every statement of a policy document (a map, or a
// JSON string).
func checkDocument(id, where string, doc any, ps *problems) {
	if s, ok := doc.(string); ok {
		var parsed any
		if json.Unmarshal([]byte(s), &parsed) != nil {
			return
		}
		doc = parsed
	}
	for _, doc := range branches(doc) {
		for j, st := range list(get(doc, "Statement")) {
			for _, st := range branches(st) {
				checkStatement(id, fmt.Sprintf("%s.Statement[%d]", where, j), st, ps)
			}
		}
	}
}

// checkStatement applies the wildcard rules to one Allow statement.
func checkStatement(id, where string, st any, ps *problems) {
	m, ok := st.(map[string]any)
	if !ok || strings.EqualFold(getString(m, "Effect"), "Deny") {
		return
	}
	actions := stringsOf(m["Action"])
	var wild []string
	for _, a := range actions {
		if a == "*" || strings.HasSuffix(a, ":*") {
			wild = append(wild, fmt.Sprintf("%q", a))
		}
	}
	if len(wild) > 0 {
		ps.add(id, RuleWildcardAction, "%s allows Action %s; list the actions the code calls",
			where, strings.Join(wild, ", "))
	}
	if _, ok := m["NotAction"]; ok {
		ps.add(id, RuleWildcardAction, "%s allows NotAction, which grants every other action", where)
	}
	if _, ok := m["NotResource"]; ok {
		ps.add(id, RuleWildcardResource, "%s allows NotResource, which grants every other resource", where)
	}
	if slices.Contains(stringsOf(m["Resource"]), "*") {
		var unscoped []string
		for _, a := range actions {
			if !slices.ContainsFunc(ResourceStarActions, func(e string) bool { return strings.EqualFold(e, a) }) {
				unscoped = append(unscoped, a)
			}
		}
		if len(unscoped) > 0 || len(actions) == 0 {
			ps.add(id, RuleWildcardResource,
				"%s grants %s on Resource \"*\"; scope it to this stack's ARNs (only %s may use \"*\")",
				where, orSomething(strings.Join(unscoped, ", "), "its actions"), strings.Join(ResourceStarActions, ", "))
		}
	}
}

func orSomething(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// branches returns both branches of an Fn::If (recursively), or v itself.
// AWS::NoValue branches are dropped.
func branches(v any) []any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if l, ok := m["Fn::If"].([]any); ok && len(l) == 3 {
			return append(branches(l[1]), branches(l[2])...)
		}
		if m["Ref"] == "AWS::NoValue" {
			return nil
		}
	}
	return []any{v}
}

// flatText returns the literal text of a string, or of the template of an
// Fn::Sub / the joined literal parts of an Fn::Join ("" for anything else).
func flatText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["Fn::Sub"]; ok {
			if l, ok := s.([]any); ok && len(l) > 0 {
				return flatText(l[0])
			}
			return flatText(s)
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range list(j[1]) {
				parts = append(parts, flatText(p))
			}
			return strings.Join(parts, flatText(j[0]))
		}
	}
	return ""
}
