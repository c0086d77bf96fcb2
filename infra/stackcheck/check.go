package stackcheck

import "fmt"

// Rule names, as reported in Problem.Rule. The package documentation
// describes each rule.
const (
	RuleFunctionName   = "function-name"
	RuleBuildMethod    = "function-build-method"
	RuleCodeURI        = "function-code-uri"
	RuleFunctionSource = "function-source"
	RuleMakefileTarget = "makefile-target"

	RuleWildcardAction      = "iam-wildcard-action"
	RuleWildcardResource    = "iam-wildcard-resource"
	RuleBroadManagedPolicy  = "iam-broad-managed-policy"
	RuleBroadPolicyTemplate = "iam-broad-policy-template"

	RuleRouteIntegration    = "route-integration"
	RuleIntegrationFunction = "integration-function"
	RuleLambdaPermission    = "lambda-permission"
	RulePermissionSourceArn = "permission-source-arn"

	RuleTableTTL           = "table-ttl"
	RuleTableStream        = "table-stream"
	RuleTablePITR          = "table-pitr"
	RuleBucketVersioning   = "bucket-versioning"
	RuleBucketEncryption   = "bucket-encryption"
	RuleBucketPublicAccess = "bucket-public-access"
	RuleBucketOwnership    = "bucket-ownership"
	RuleBucketTLS          = "bucket-tls"
	RuleRetain             = "storage-retain"
)

// Logical ids and names the foundation stack relies on.
const (
	// AppTableID is the logical id of the single application table.
	AppTableID = "AppTable"
	// TTLAttribute is the TTL attribute of AppTable (epoch seconds).
	TTLAttribute = "expiresAt"
	// ConfigBucketID is the logical id of the per-business config bucket.
	ConfigBucketID = "ConfigBucket"
)

// Resource types the checks know about.
const (
	typeServerlessFunction = "AWS::Serverless::Function"
	typeLambdaFunction     = "AWS::Lambda::Function"
	typeLambdaPermission   = "AWS::Lambda::Permission"
	typeRoute              = "AWS::ApiGatewayV2::Route"
	typeIntegration        = "AWS::ApiGatewayV2::Integration"
	typeTable              = "AWS::DynamoDB::Table"
	typeBucket             = "AWS::S3::Bucket"
	typeBucketPolicy       = "AWS::S3::BucketPolicy"
)

var functionTypes = []string{typeServerlessFunction, typeLambdaFunction}

// Options configures Check.
type Options struct {
	// Root is the repository root: where functions/ and the Makefile live
	// (the directory of template.yaml). "" means the current directory.
	Root string
}

// Problem is one broken invariant.
type Problem struct {
	Resource string // logical id of the offending resource
	Rule     string // short rule name, one of the Rule* constants
	Message  string // what is wrong and what is expected
}

// String formats the problem as "Resource: [rule] message".
func (p Problem) String() string {
	if p.Resource == "" {
		return fmt.Sprintf("[%s] %s", p.Rule, p.Message)
	}
	return fmt.Sprintf("%s: [%s] %s", p.Resource, p.Rule, p.Message)
}

// Error makes a Problem usable as an error.
func (p Problem) Error() string { return p.String() }

// Check returns every broken invariant of t, grouped by area (functions,
// IAM, API Gateway, storage) and in document order within an area. It
// returns nil for a template that satisfies them all.
func Check(t *Template, opts Options) []Problem {
	if t == nil {
		return nil
	}
	if opts.Root == "" {
		opts.Root = "."
	}
	var ps problems
	checkFunctions(t, opts, &ps)
	checkIAM(t, &ps)
	checkAPIGateway(t, &ps)
	checkStorage(t, &ps)
	return ps
}

// problems collects Problems.
type problems []Problem

func (ps *problems) add(resource, rule, format string, args ...any) {
	*ps = append(*ps, Problem{Resource: resource, Rule: rule, Message: fmt.Sprintf(format, args...)})
}
